// conv2d_s8_fast_short_mul: conv2d_fast.h's pointwise kernel with a multiply fused into its
// input (engine/mul_fusion.h) and dsp.h's short output stage, for a layer whose params take
// it; conv2d_fast.h declares it and says what it computes.
#pragma once

#include "engine/kernels/device/conv2d_fast.h"
