// depthwise_s8_fast_in_place: a depthwise convolution run IN PLACE (output == input; deploy
// keeps a depthwise layer in place only where that lowers the arena peak) on Cortex-M4/M7/M33
// (DSP extension), byte for byte conv2d_s8's in-place result (conv2d.h: which is its
// out-of-place result), issue 16. Its own file (not depthwise_fast.cpp) so a package links and
// counts (engine/deploy_size.cpp) its code only when a layer runs in place.
//
// Applies (depthwise_s8_fast_in_place_applies): 3x3, stride 1, padding 1, out shape == in shape,
// channel multiplier 1. Per channel the plane is gathered into scratch (in_h * in_w bytes, as
// conv2d_s8's in-place path), then the channel's outputs are computed from it and stored strided
// into data. Two outputs at a time per kernel row: one word of the plane row at x - 1 holds x - 1
// .. x + 2; SXTB16 gives (x - 1, x + 1), SXTB16 ROR #8 (x, x + 2); SMLAD against the row's weights
// packed as (w0, w2), (w1, 0) for output x and (w0, w2), (0, w1) for output x + 1 (packed per
// channel at run time from the ORIGINAL weight layout [c, 3, 3], so no reordering). Rows
// outside the input add the constant zero_point * (their weights' sum) and read a row inside
// with zero weights; columns outside (the left and right pixels) read the zero point: with the
// folded bias that adds nothing. The output stage is chosen once per call (dsp.h's lean one
// with SSAT, then the output table if any, when the activation range is all of int8; else the
// full one). Byte for byte conv2d_s8's in-place result.
//   tinyscale::device::depthwise_s8_fast_in_place(dw1_params, arena + 0, dw1_weights,
//                                                 dw1_folded_bias, arena + 8000);
#pragma once

#include <cstdint>

#include "engine/kernels/device/conv2d.h"

namespace tinyscale::device {

// Requires depthwise_s8_fast_in_place_applies(p), the original weights [c, 3, 3] and the
// folded bias (conv2d_s8_fold_bias, never null); scratch holds in_h * in_w bytes.
void depthwise_s8_fast_in_place(const Conv2dS8Params& p, std::int8_t* data,
                                const std::int8_t* weights, const std::int32_t* folded_bias,
                                std::int8_t* scratch);

// Whether depthwise_s8_fast_in_place handles these params.
bool depthwise_s8_fast_in_place_applies(const Conv2dS8Params& p);

// Scratch bytes depthwise_s8_fast_in_place needs: one channel plane, in_h * in_w (the same
// as conv2d_s8's in-place path).
std::int32_t depthwise_s8_fast_in_place_scratch_bytes(const Conv2dS8Params& p);

}  // namespace tinyscale::device
