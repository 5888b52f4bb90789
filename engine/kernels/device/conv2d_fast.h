// conv2d_s8_fast: conv2d_s8 (conv2d.h) with a fast path for pointwise convolutions on
// Cortex-M4/M7 (DSP extension), byte for byte the results of conv2d_s8, which stays the
// oracle (issue 16).
//
// Fast path (conv2d_s8_fast_applies): kernel 1x1, no padding, groups 1, any stride, every
// output pixel's input inside the input, not in place. It runs a register-blocked int8 GEMM,
// 2 output channels x 2 pixels per inner iteration, 4 input channels per step: the input
// words are sign-extended to 16-bit pairs with the input offset added (SXTAB16), the weight
// words sign-extended (SXTB16), and two multiply-accumulates per SMLAD, then the output
// stage of requantize_s8 (fixed_point.h) with each channel's shifts, mask and bias prepared
// once for two pixels (same bytes; clamp, optional output_table). Every other case calls
// conv2d_s8.
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics (<arm_acle.h>);
// elsewhere (the host, Cortex-M0+/M3) they are portable C++ with the same semantics, so the
// host tests exercise the same loop. Scratch: none beyond conv2d_s8's.
//
// Usage (firmware; same params and arguments as conv2d_s8):
//   tinyscale::device::conv2d_s8_fast(conv1_params, arena + 0, conv1_weights, conv1_bias,
//                                     arena + 490, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/conv2d.h"

namespace tinyscale::device {

void conv2d_s8_fast(const Conv2dS8Params& p, const std::int8_t* input,
                    const std::int8_t* weights, const std::int32_t* bias, std::int8_t* output,
                    std::int8_t* scratch);

// Whether conv2d_s8_fast takes its GEMM path for these params (a call with
// output == input never does).
bool conv2d_s8_fast_applies(const Conv2dS8Params& p);

// Scratch bytes conv2d_s8_fast needs (conv2d_s8's).
std::int32_t conv2d_s8_fast_scratch_bytes(const Conv2dS8Params& p);

}  // namespace tinyscale::device
