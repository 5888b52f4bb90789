// depthwise_s8_fast: depthwise convolutions (channel multiplier 1) on Cortex-M4/M7/M33 (DSP
// extension), byte for byte the results of conv2d_s8 (conv2d.h), which stays the oracle
// (issue 16).
//
// Applies (depthwise_s8_fast_applies): in_c_per_group == out_c_per_group == 1 (so out_c ==
// in_c), dilation 1, any kernel up to kDepthwiseFastMaxTaps taps, any stride and padding.
// The caller (the code generator) checks it and never calls it in place (in place:
// depthwise_fast_in_place.h).
//
// Channels run in groups of 4 (then one group of 2 and one of 1 for the rest), each group
// over every output pixel, so its output stage (dsp.h) is prepared once. Taps pair up in
// window order (t, t+1): the two input words of a pair (4 channels each) are packed into
// [c0 c1 | c0' c1'] and [c2 c3 | c2' c3'] halves (PKHBT / PKHTB), sign-extended to 16-bit
// lanes (SXTB16, SXTB16 ROR #8), and one SMLAD per channel adds both taps; the weights were
// laid out at generation time (depthwise_s8_fast_reorder_weights) so one word per channel
// pair loads the matching [w_c0 w_c1 | w_c0' w_c1'] bytes. An odd last tap uses SMLABB/SMLATT.
// 3x3 kernels (PhiNet, XiNet, DS-CNN; stride 1 or 2) have their nine taps unrolled with
// constant offsets; other sizes loop over a tap offset table. Interior pixels (the whole
// window inside the input) read the input without bounds checks; border pixels read taps
// outside the input from a word of the input zero point (-input_offset), which with the folded
// bias (conv2d_s8_fold_bias, conv2d_fast.h) adds nothing in real terms, as the reference's
// skipped taps (3x3 left and right edge pixels of rows inside the input unrolled like the
// interior, other border pixels looping over their taps). Scratch: none (a table of
// kDepthwiseFastMaxTaps tap offsets on the stack).
//
// With the short stage, a 3x3 kernel and groups of 4 channels, every pixel runs in assembly
// (depthwise_fast_impl.h, dw3x3_short: 127 instructions per pixel of 4 channels), the
// weights widened to 16 bits once per group. A pixel whose window leaves the input (by at
// most one row and one column each side, an input of 3 rows and columns or more) runs with
// its window moved back inside and the weights moved with it: the row or column the window
// gained weighs 0, and the taps left outside add w x z to the bias (z the input zero point),
// what the reference's skipped taps add through the folded bias.
//
// Weight layout after reordering (same byte count as [out_c, kh, kw, 1]): channel group g of
// width W (4, 2 or 1) starting at channel c0 occupies bytes [c0 * T, (c0 + W) * T), T =
// kh * kw; within it tap pair i holds W * 2 bytes: for W >= 2 per channel pair j
// [w(c0+2j, 2i), w(c0+2j+1, 2i), w(c0+2j, 2i+1), w(c0+2j+1, 2i+1)], for W = 1
// [w(c0, 2i), w(c0, 2i+1)]; an odd last tap holds the W channels' weights in order.
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics; elsewhere (the host)
// portable C++ with the same semantics, so the host tests exercise the same loops.
//
// Usage (firmware: the generator calls the _short or _any entry point; same params as conv2d_s8,
// reordered weights and the folded bias):
//   tinyscale::device::depthwise_s8_fast_short(dw1_params, arena + 0, dw1_weights_reordered,
//                                              dw1_folded_bias, arena + 8000, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {

// The largest kernel (kernel_h * kernel_w) the fast path takes (7x7).
inline constexpr std::int32_t kDepthwiseFastMaxTaps = 49;

// Requires depthwise_s8_fast_applies(p), output != input, weights reordered by
// depthwise_s8_fast_reorder_weights and the folded bias (never null). Any output stage
// (depthwise_fast.cpp).
void depthwise_s8_fast_any(const Conv2dS8Params& p, const std::int8_t* input,
                           const std::int8_t* weights, const std::int32_t* folded_bias,
                           std::int8_t* output, std::int8_t* scratch);
// The same where dsp::short_output(p) holds, with the short output stage only
// (depthwise_fast_short.cpp).
void depthwise_s8_fast_short(const Conv2dS8Params& p, const std::int8_t* input,
                             const std::int8_t* weights, const std::int32_t* folded_bias,
                             std::int8_t* output, std::int8_t* scratch);
// Either, as the params take (what the code generator decides once per layer).
inline void depthwise_s8_fast(const Conv2dS8Params& p, const std::int8_t* input,
                              const std::int8_t* weights, const std::int32_t* folded_bias,
                              std::int8_t* output, std::int8_t* scratch) {
  if (dsp::short_output(p)) {
    depthwise_s8_fast_short(p, input, weights, folded_bias, output, scratch);
  } else {
    depthwise_s8_fast_any(p, input, weights, folded_bias, output, scratch);
  }
}

// Whether depthwise_s8_fast handles these params.
bool depthwise_s8_fast_applies(const Conv2dS8Params& p);

// Weights [out_c, kh, kw, 1] into the kernel's layout (above); out holds as many bytes.
void depthwise_s8_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* in,
                                       std::int8_t* out);

// Scratch bytes depthwise_s8_fast needs (none).
std::int32_t depthwise_s8_fast_scratch_bytes(const Conv2dS8Params& p);

}  // namespace tinyscale::device
