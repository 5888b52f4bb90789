// conv2d_s8_gemm_fast: full convolutions (groups 1, a kernel larger than 1x1 or padding) on
// Cortex-M4/M7/M33 (DSP extension) as im2col + an int8 GEMM, byte for byte the results of
// conv2d_s8 (conv2d.h), which stays the oracle (issue 16).
//
// Applies (conv2d_s8_gemm_fast_applies): groups 1, dilation 1, any kernel, stride and
// padding, except the pointwise case conv2d_s8_fast takes (1x1, no padding, every input pixel
// inside). The caller (the code generator) checks it and never calls it in place.
//
// Two output pixels at a time, their windows are copied as two int16 columns of
// K = kernel_h * kernel_w * in_c values in the weights' order (ky, kx, ic) into the part of
// the output not written yet (the later pixels' outputs, from a word boundary); taps outside
// the input hold the input zero point (-input_offset), so with the folded bias
// (conv2d_s8_fold_bias, conv2d_fast.h: bias + input_offset * sum of all weights) they add
// nothing in real terms, as the reference's skipped taps. The GEMM then runs 2 output
// channels x 2 pixels per inner iteration, 4 values per step: two weight words sign-extended
// to 16-bit pairs (SXTB16, SXTB16 ROR #8), four column words, eight SMLADs (two MACs each),
// and the output stage of requantize_s8 with each channel prepared once for two pixels
// (dsp.h). No scratch: where the unwritten output is too small for two columns, one pixel
// at a time, and the last pixels, where it cannot hold one, straight from the input without
// a column (same sums); so the arena is the reference kernel's (CMSIS-NN's arm_convolve_s8
// asks 4 K bytes of scratch).
//
// The short entry point takes a faster path where conv2d_s8_gemm_fast_takes_quads (below):
// TFLite's usual per-channel requantization, out_c % 4 == 0, window rows of a multiple of 4
// values (kernel_w x in_c), K >= 16. Two pixels' windows are sign-extended once into the
// unwritten output in the pointwise kernel's expanded order (4 values of K per group), and
// each 4 output channels x 2 pixels run as one call of its assembly quad with the output
// stage (conv2d_quads.h: 31.5 instructions per 32 MACs, about 11 per output); the window
// words come straight from the input (a whole tap of 4 channels, or, for one input channel,
// 4 columns shifted where the window is cut). The last pixels, whose unwritten output cannot
// hold the expansion, run the same quads in C++ from the windows. The weights are then in the
// pointwise kernel's quad order for in_c = K (the DS-CNN's first convolution: 925 K -> 542 K
// instructions on the M7).
//
// Generation-time work: the weights are reordered into the kernel's access order by
// conv2d_s8_gemm_fast_reorder_weights (same bytes): per pair of output channels, group by
// group of 4 values of K, channel oc's 4 bytes then oc + 1's, each as (w0, w2, w1, w3) so
// that SXTB16 gives the lanes (w0, w1) and SXTB16 ROR #8 (w2, w3); then the K % 4 last
// weights of oc and of oc + 1 as they were. An odd last channel: its groups, then its tail.
// The generated package stores the reordered weights and the folded bias instead of the
// originals.
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics; elsewhere (the host)
// portable C++ with the same semantics, so the host tests exercise the same loops.
//
// Usage (firmware: the generator calls the _short or _any entry point; same params as conv2d_s8,
// the folded bias in place of the bias):
//   tinyscale::device::conv2d_s8_gemm_fast_short(conv1_params, arena + 0, conv1_weights_reordered,
//                                                conv1_folded_bias, arena + 512, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {

// Requires conv2d_s8_gemm_fast_applies(p), output != input, the reordered weights, the folded
// bias (never null); `scratch` is unused (conv2d_s8_gemm_fast_scratch_bytes is 0).
void conv2d_s8_gemm_fast_any(const Conv2dS8Params& p, const std::int8_t* input,
                             const std::int8_t* weights, const std::int32_t* folded_bias,
                             std::int8_t* output, std::int8_t* scratch);
// The same where dsp::short_output(p) holds, with the short output stage only
// (conv2d_gemm_fast_short.cpp).
void conv2d_s8_gemm_fast_short(const Conv2dS8Params& p, const std::int8_t* input,
                               const std::int8_t* weights, const std::int32_t* folded_bias,
                               std::int8_t* output, std::int8_t* scratch);
// Either, as the params take (what the code generator decides once per layer).
inline void conv2d_s8_gemm_fast(const Conv2dS8Params& p, const std::int8_t* input,
                                const std::int8_t* weights, const std::int32_t* folded_bias,
                                std::int8_t* output, std::int8_t* scratch) {
  if (dsp::short_output(p)) {
    conv2d_s8_gemm_fast_short(p, input, weights, folded_bias, output, scratch);
  } else {
    conv2d_s8_gemm_fast_any(p, input, weights, folded_bias, output, scratch);
  }
}

// Whether conv2d_s8_gemm_fast handles these params.
bool conv2d_s8_gemm_fast_applies(const Conv2dS8Params& p);

// Whether the short entry point runs these params as quads, 4 output channels x 2 pixels
// (conv2d_quads.h, the pointwise kernel's assembly with its output stage), over the two
// windows expanded into the unwritten output instead of int16 columns: TFLite's usual
// per-channel requantization (dsp::short_output), out_c % 4 == 0 and K = kernel_h x
// kernel_w x in_c a multiple of 4 from 16, with kernel_w x in_c % 4 == 0 (so a group of 4
// values of K lies in one window row), and a map large enough that at most a quarter of its
// pixels lack the room to expand their windows. The weights are then in
// conv2d_s8_fast_reorder_weights' quad order for in_c = K (conv2d_s8_gemm_fast_reorder_weights
// writes them so).
inline bool conv2d_s8_gemm_fast_takes_quads(const Conv2dS8Params& p) {
  const std::int32_t row = p.kernel_w * p.in_c;
  const std::int32_t k_len = p.kernel_h * row;
  if (!dsp::short_output(p) || p.requant_channels != p.out_c || p.out_c % 4 != 0 || row % 4 != 0 ||
      k_len < 16) {
    return false;
  }
  // The last pixels, whose unwritten output cannot hold the expansion (4 K bytes), run the
  // quads in C++ from the windows, slower than the columns' loops: at most a quarter of them.
  const std::int32_t tail = (4 * k_len + p.out_c - 1) / p.out_c + 2;
  return 4 * tail <= p.out_h * p.out_w;
}

// Writes the weights [out_c, kh, kw, in_c] in the kernel's order (above; the quads' where
// conv2d_s8_gemm_fast_takes_quads) to `reordered` (out_c * kh * kw * in_c bytes).
void conv2d_s8_gemm_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* weights,
                                         std::int8_t* reordered);

// Scratch bytes conv2d_s8_gemm_fast needs: none (its columns live in the unwritten output).
std::int32_t conv2d_s8_gemm_fast_scratch_bytes(const Conv2dS8Params& p);

}  // namespace tinyscale::device
