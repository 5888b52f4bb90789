// conv2d_s8_fast_any_mul: conv2d_fast.h's pointwise kernel with a multiply fused into its input
// (engine/mul_fusion.h) and any output stage; conv2d_fast.h declares it and says what it
// computes.
#pragma once

#include "engine/kernels/device/conv2d_fast.h"
