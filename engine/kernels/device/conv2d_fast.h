// conv2d_s8_fast: pointwise convolutions on Cortex-M4/M7/M33 (DSP extension) as an int8
// GEMM, byte for byte the results of conv2d_s8 (conv2d.h), which stays the oracle (issue 16).
//
// Applies (conv2d_s8_fast_applies): kernel 1x1, no padding, groups 1, any stride, every
// output pixel's input inside the input; the caller (the code generator) checks it and never
// calls it in place. A register-blocked GEMM over pixel pairs: the pair's input channels are
// sign-extended once to 16-bit pairs (SXTB16, SXTB16 ROR #8) into the output's unwritten part,
// then with 16 input channels or more 4 output channels x 2 pixels per step of 4 input channels
// (8 accumulators, an assembly loop on the DSP: 30 instructions per 32 MACs), the rest 2 x 2,
// two multiply-accumulates per SMLAD, accumulators started at the bias, then the output stage
// (dsp.h): the short stage where the layer's requantization takes it (conv2d_s8_fast_short,
// conv2d_fast_short.cpp), requantize_s8's otherwise (conv2d_s8_fast_any, conv2d_fast.cpp).
// With the short stage and per-channel requantization, each quad and its 8 outputs are one
// assembly call (conv2d_quads.h, quads_expanded_short: two input groups per loop iteration,
// about 11 instructions per output), shared with conv2d_gemm_fast's quads.
//
// Generation-time work (the package stores these instead of the originals):
//   - the input zero-point term folded into the bias, so the inner loop multiplies raw int8
//     values: conv2d_s8_fold_bias writes folded[oc] = bias[oc] + input_offset * sum(weights
//     of oc) (wrapping int32, the same value mod 2^32 as the reference's accumulator);
//   - the weights in the loop's order: conv2d_s8_fast_reorder_weights interleaves each quad
//     of output channels (a b c d) by words (a0 b0 a2 b2) (c0 d0 c2 d2) (a1 b1 a3 b3)
//     (c1 d1 c3 d3) per 4 input channels, the rest by pairs, so one pointer walks them.
// Scratch: none.
//
// Built with __ARM_FEATURE_DSP the helpers are the ACLE intrinsics; elsewhere (the host)
// portable C++ with the same semantics, so the host tests exercise the same loop.
//
// Usage (firmware: the generator calls the _short or _any entry point; same params as conv2d_s8,
// the folded bias in place of the bias):
//   tinyscale::device::conv2d_s8_fast_short(conv1_params, arena + 0, conv1_weights_reordered,
//                                           conv1_folded_bias, arena + 490, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/mul_rows.h"

namespace tinyscale::device {

// Requires conv2d_s8_fast_applies(p), output != input, the reordered weights and the folded
// bias (never null).
void conv2d_s8_fast_any(const Conv2dS8Params& p, const std::int8_t* input,
                        const std::int8_t* weights, const std::int32_t* folded_bias,
                        std::int8_t* output, std::int8_t* scratch);
// The same where dsp::short_output(p) holds, with the short output stage only
// (conv2d_fast_short.cpp).
void conv2d_s8_fast_short(const Conv2dS8Params& p, const std::int8_t* input,
                          const std::int8_t* weights, const std::int32_t* folded_bias,
                          std::int8_t* output, std::int8_t* scratch);
// Either, as the params take (what the code generator decides once per layer).
inline void conv2d_s8_fast(const Conv2dS8Params& p, const std::int8_t* input,
                           const std::int8_t* weights, const std::int32_t* folded_bias,
                           std::int8_t* output, std::int8_t* scratch) {
  if (dsp::short_output(p)) {
    conv2d_s8_fast_short(p, input, weights, folded_bias, output, scratch);
  } else {
    conv2d_s8_fast_any(p, input, weights, folded_bias, output, scratch);
  }
}

// Whether conv2d_s8_fast handles these params.
bool conv2d_s8_fast_applies(const Conv2dS8Params& p);

// The same with a multiply fused into the input (engine/mul_fusion.h; mul_rows.h
// PointwiseMulS8Params): input pixel k's values are first multiplied by m.other's row k (m.other
// + k * m.other_step), so the multiply makes no pass of its own. With in_c % 4 == 0 and an even
// out_c the pair's products go straight into the 16-bit expansion the GEMM reads (no byte
// stored and loaded again); otherwise, and for the last pixels, the pixel's row of `input` is
// written over with its products first (the multiply's own in-place output); params that
// mul_fast.h's short stage does not serve take mul_s8's arithmetic that way, value by value.
// Requires conv2d_s8_fast_mul_applies(p); `input` is the multiply's operand, dead after this
// call (its bytes are left partly multiplied).
void conv2d_s8_fast_any_mul(const Conv2dS8Params& p, const PointwiseMulS8Params& m,
                            std::int8_t* input, const std::int8_t* weights,
                            const std::int32_t* folded_bias, std::int8_t* output);
void conv2d_s8_fast_short_mul(const Conv2dS8Params& p, const PointwiseMulS8Params& m,
                              std::int8_t* input, const std::int8_t* weights,
                              const std::int32_t* folded_bias, std::int8_t* output);
// Whether the *_mul entry points handle these params: conv2d_s8_fast_applies, one batch,
// stride 1 (the pixels contiguous).
bool conv2d_s8_fast_mul_applies(const Conv2dS8Params& p);
// Whether the products of at least 3/4 of the pixels go straight into the expansion (in_c % 4
// == 0, out_c even, and the output after those pixels' pair holds the expansion): where the
// fused call pays (the code generator fuses only there).
bool conv2d_s8_fast_mul_expansion_applies(const Conv2dS8Params& p);

// The bias with the input zero-point term folded in, for any conv2d params (depthwise and
// grouped too: the sum runs over oc's kernel_h * kernel_w * in_c_per_group weights, layout
// [out_c, kh, kw, in_c_per_group]). bias may be null (zeros); folded holds out_c values.
void conv2d_s8_fold_bias(const Conv2dS8Params& p, const std::int8_t* weights,
                         const std::int32_t* bias, std::int32_t* folded);

// weights [out_c, in_c] -> the kernel's order (same byte count; see above).
void conv2d_s8_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* weights,
                                    std::int8_t* reordered);

// Scratch bytes conv2d_s8_fast needs (none).
std::int32_t conv2d_s8_fast_scratch_bytes(const Conv2dS8Params& p);

}  // namespace tinyscale::device
