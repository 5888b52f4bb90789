// conv2d_s8_fast_short: conv2d_fast.h's kernel with dsp.h's short output stage only, for a layer
// whose params take it (dsp::short_output: activation range all of int8, right shifts 1..31, any
// table, TFLite's usual requantization). The code generator calls it for such layers, so their
// package does not carry the other stages' code; conv2d_fast.h declares it.
#pragma once

#include "engine/kernels/device/conv2d_fast.h"
