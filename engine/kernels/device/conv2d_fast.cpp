#include "engine/kernels/device/conv2d_fast.h"

#include <cstdint>
#include <cstring>

#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {
namespace {

using dsp::channel_stage;
using dsp::ChannelStage;
using dsp::load_word;
using dsp::smlad;
using dsp::sxtb16;
using dsp::sxtb16_ror8;

// Offset of output pixel `px` (row-major over out_h x out_w) in the input, in values.
inline std::int32_t input_pixel(const Conv2dS8Params& p, std::int32_t px) {
  const std::int32_t oy = px / p.out_w;
  const std::int32_t ox = px - oy * p.out_w;
  return (oy * p.stride_h * p.in_w + ox * p.stride_w) * p.in_c;
}

// Two output channels' weights, interleaved by conv2d_s8_fast_reorder_weights: per group of 4
// input channels the word of channel a then the word of channel b, then the last in_c % 4
// input channels as (a, b) byte pairs. Accumulates both channels over two pixels (x0, x1).
struct PairAcc {
  std::int32_t a0, a1, b0, b1;  // <channel><pixel>
};

// Four input channels of both pixels against the pair's two weight words at w.
inline void pair_step(std::uint32_t p0, std::uint32_t p1, const std::int8_t* w, PairAcc& r) {
  const std::uint32_t p0e = sxtb16(p0), p0o = sxtb16_ror8(p0);
  const std::uint32_t p1e = sxtb16(p1), p1o = sxtb16_ror8(p1);
  const std::uint32_t wa = load_word(w);
  std::uint32_t we = sxtb16(wa), wo = sxtb16_ror8(wa);
  r.a0 = smlad(p0o, wo, smlad(p0e, we, r.a0));
  r.a1 = smlad(p1o, wo, smlad(p1e, we, r.a1));
  const std::uint32_t wb = load_word(w + 4);
  we = sxtb16(wb);
  wo = sxtb16_ror8(wb);
  r.b0 = smlad(p0o, wo, smlad(p0e, we, r.b0));
  r.b1 = smlad(p1o, wo, smlad(p1e, we, r.b1));
}

inline PairAcc pair_dot(const std::int8_t* x0, const std::int8_t* x1, const std::int8_t* w,
                        std::int32_t in_c, std::int32_t bias_a, std::int32_t bias_b) {
  PairAcc r{bias_a, bias_a, bias_b, bias_b};
  const std::int32_t delta = static_cast<std::int32_t>(x1 - x0);
  // Eight input channels per iteration, then four, then the last in_c % 4 one by one.
  const std::int8_t* const x0_end8 = x0 + (in_c & ~7);
  while (x0 != x0_end8) {
    const std::uint32_t p0 = load_word(x0), p1 = load_word(x0 + delta);
    const std::uint32_t q0 = load_word(x0 + 4), q1 = load_word(x0 + 4 + delta);
    x0 += 8;
    pair_step(p0, p1, w, r);
    pair_step(q0, q1, w + 8, r);
    w += 16;
  }
  if (in_c & 4) {
    pair_step(load_word(x0), load_word(x0 + delta), w, r);
    x0 += 4;
    w += 8;
  }
  for (std::int32_t k = 0; k < (in_c & 3); ++k, w += 2) {
    const std::int32_t v0 = x0[k], v1 = x0[k + delta];
    r.a0 += v0 * w[0];
    r.a1 += v1 * w[0];
    r.b0 += v0 * w[1];
    r.b1 += v1 * w[1];
  }
  return r;
}

// One channel (the last of an odd count; its weights as in the original layout) over two
// pixels.
inline void single_dot(const std::int8_t* x0, const std::int8_t* x1, const std::int8_t* w,
                       std::int32_t in_c, std::int32_t* a0, std::int32_t* a1) {
  std::int32_t ic = 0;
  for (; ic + 4 <= in_c; ic += 4) {
    const std::uint32_t p0 = load_word(x0 + ic), p1 = load_word(x1 + ic), k = load_word(w + ic);
    const std::uint32_t ke = sxtb16(k), ko = sxtb16_ror8(k);
    *a0 = smlad(sxtb16_ror8(p0), ko, smlad(sxtb16(p0), ke, *a0));
    *a1 = smlad(sxtb16_ror8(p1), ko, smlad(sxtb16(p1), ke, *a1));
  }
  for (; ic < in_c; ++ic) {
    *a0 += x0[ic] * w[ic];
    *a1 += x1[ic] * w[ic];
  }
}

inline void store_word(std::int8_t* p, std::uint32_t w) { std::memcpy(p, &w, sizeof w); }

// Bytes expand_pair writes for in_c channels.
inline std::int32_t expanded_bytes(std::int32_t in_c) { return 16 * (in_c >> 2); }

// Two pixels' input channels sign-extended once to 16-bit pairs, in the order pair_dot_expanded
// reads them: per group of 4 channels, pixel 0's (c0, c2) and (c1, c3), then pixel 1's.
inline void expand_pair(const std::int8_t* x0, const std::int8_t* x1, std::int32_t in_c,
                        std::int8_t* xs) {
  for (std::int32_t ic = 0; ic + 4 <= in_c; ic += 4, xs += 16) {
    const std::uint32_t p0 = load_word(x0 + ic), p1 = load_word(x1 + ic);
    store_word(xs, sxtb16(p0));
    store_word(xs + 4, sxtb16_ror8(p0));
    store_word(xs + 8, sxtb16(p1));
    store_word(xs + 12, sxtb16_ror8(p1));
  }
}

// pair_dot on expanded inputs (the last in_c % 4 channels from x0 and x1 themselves).
inline PairAcc pair_dot_expanded(const std::int8_t* xs, const std::int8_t* x0,
                                 const std::int8_t* x1, const std::int8_t* w, std::int32_t in_c,
                                 std::int32_t bias_a, std::int32_t bias_b) {
  PairAcc r{bias_a, bias_a, bias_b, bias_b};
  const std::int8_t* const xs_end = xs + expanded_bytes(in_c);
  while (xs != xs_end) {
    const std::uint32_t p0e = load_word(xs), p0o = load_word(xs + 4);
    const std::uint32_t p1e = load_word(xs + 8), p1o = load_word(xs + 12);
    xs += 16;
    const std::uint32_t wa = load_word(w);
    std::uint32_t we = sxtb16(wa), wo = sxtb16_ror8(wa);
    r.a0 = smlad(p0o, wo, smlad(p0e, we, r.a0));
    r.a1 = smlad(p1o, wo, smlad(p1e, we, r.a1));
    const std::uint32_t wb = load_word(w + 4);
    w += 8;
    we = sxtb16(wb);
    wo = sxtb16_ror8(wb);
    r.b0 = smlad(p0o, wo, smlad(p0e, we, r.b0));
    r.b1 = smlad(p1o, wo, smlad(p1e, we, r.b1));
  }
  for (std::int32_t ic = in_c & ~3; ic < in_c; ++ic, w += 2) {
    const std::int32_t v0 = x0[ic], v1 = x1[ic];
    r.a0 += v0 * w[0];
    r.a1 += v1 * w[0];
    r.b0 += v0 * w[1];
    r.b1 += v1 * w[1];
  }
  return r;
}

// One batch of the 1x1 GEMM: out[px][oc] = folded_bias[oc] + sum_ic in[px][ic] * w[oc][ic]
// (the input offset is in the folded bias), two pixels x two channels at a time. An odd last
// pixel runs as a pair with itself (its output written once).
//
// The two pixels' inputs are sign-extended once, not once per channel pair, into the part of
// the output not written yet (the pixels after these two): no scratch, so no arena byte. The
// last pixels, whose remaining output is too small for that, extend in registers.
template <bool Lean>
void pointwise_gemm(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                    const std::int32_t* bias, std::int8_t* output) {
  const std::int32_t in_c = p.in_c;
  const std::int32_t out_c = p.out_c;
  const std::int32_t pixels = p.out_h * p.out_w;
  const std::int32_t pairs = out_c >> 1;
  const std::int32_t expanded = expanded_bytes(in_c);
  // Pixel k at k * in_c: stride 1 over whole input rows.
  const bool contiguous = p.stride_h == 1 && p.stride_w == 1 && p.out_w == p.in_w;
  for (std::int32_t px = 0; px < pixels; px += 2) {
    const std::int32_t px1 = px + 1 < pixels ? px + 1 : px;
    const std::int8_t* x0 = input + (contiguous ? px * in_c : input_pixel(p, px));
    const std::int8_t* x1 = input + (contiguous ? px1 * in_c : input_pixel(p, px1));
    std::int8_t* out0 = output + px * out_c;
    std::int8_t* out1 = output + px1 * out_c;
    // The free output bytes after these two pixels, from a word boundary.
    std::int8_t* const free_start = output + (px + 2) * out_c;
    const auto misalign =
        static_cast<std::int32_t>((4u - (reinterpret_cast<std::uintptr_t>(free_start) & 3u)) & 3u);
    const bool expand = expanded > 0 && (pixels - px - 2) * out_c - misalign >= expanded;
    std::int8_t* const xs = free_start + misalign;
    if (expand) expand_pair(x0, x1, in_c, xs);
    const std::int8_t* w = weights;
    for (std::int32_t j = 0; j < pairs; ++j) {
      const std::int32_t oc = 2 * j;
      const PairAcc r = expand ? pair_dot_expanded(xs, x0, x1, w, in_c, bias[oc], bias[oc + 1])
                               : pair_dot(x0, x1, w, in_c, bias[oc], bias[oc + 1]);
      w += 2 * in_c;
      const ChannelStage sa = channel_stage(p, oc), sb = channel_stage(p, oc + 1);
      out1[oc] = dsp::requantize_output_as<Lean>(p, sa, r.a1);
      out1[oc + 1] = dsp::requantize_output_as<Lean>(p, sb, r.b1);
      out0[oc] = dsp::requantize_output_as<Lean>(p, sa, r.a0);
      out0[oc + 1] = dsp::requantize_output_as<Lean>(p, sb, r.b0);
    }
    if (out_c & 1) {
      const std::int32_t oc = out_c - 1;
      std::int32_t a0 = bias[oc], a1 = bias[oc];
      single_dot(x0, x1, w, in_c, &a0, &a1);
      const ChannelStage s = channel_stage(p, oc);
      out1[oc] = dsp::requantize_output_as<Lean>(p, s, a1);
      out0[oc] = dsp::requantize_output_as<Lean>(p, s, a0);
    }
  }
}

}  // namespace

bool conv2d_s8_fast_applies(const Conv2dS8Params& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
         p.in_c_per_group == p.in_c && p.out_c_per_group == p.out_c && p.out_h > 0 && p.out_w > 0 &&
         p.stride_h > 0 && p.stride_w > 0 && (p.out_h - 1) * p.stride_h < p.in_h &&
         (p.out_w - 1) * p.stride_w < p.in_w;
}

void conv2d_s8_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* weights,
                                    std::int8_t* reordered) {
  const std::int32_t in_c = p.in_c;
  const std::int32_t in_c4 = in_c & ~3;
  std::int8_t* out = reordered;
  for (std::int32_t oc = 0; oc + 1 < p.out_c; oc += 2) {
    const std::int8_t* a = weights + oc * in_c;
    const std::int8_t* b = a + in_c;
    for (std::int32_t ic = 0; ic < in_c4; ic += 4) {
      for (std::int32_t k = 0; k < 4; ++k) *out++ = a[ic + k];
      for (std::int32_t k = 0; k < 4; ++k) *out++ = b[ic + k];
    }
    for (std::int32_t ic = in_c4; ic < in_c; ++ic) {
      *out++ = a[ic];
      *out++ = b[ic];
    }
  }
  if (p.out_c & 1) {
    const std::int8_t* a = weights + (p.out_c - 1) * in_c;
    for (std::int32_t ic = 0; ic < in_c; ++ic) *out++ = a[ic];
  }
}

void conv2d_s8_fold_bias(const Conv2dS8Params& p, const std::int8_t* weights,
                         const std::int32_t* bias, std::int32_t* folded) {
  const std::int32_t per_channel = p.kernel_h * p.kernel_w * p.in_c_per_group;
  for (std::int32_t oc = 0; oc < p.out_c; ++oc) {
    std::int32_t sum = 0;
    for (std::int32_t i = 0; i < per_channel; ++i) sum += weights[oc * per_channel + i];
    // Wrapping int32 arithmetic, as the reference accumulator's: the same value mod 2^32.
    folded[oc] = static_cast<std::int32_t>(static_cast<std::uint32_t>(bias ? bias[oc] : 0) +
                                           static_cast<std::uint32_t>(p.input_offset) *
                                               static_cast<std::uint32_t>(sum));
  }
}

void conv2d_s8_fast(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                    const std::int32_t* folded_bias, std::int8_t* output,
                    std::int8_t* /*scratch*/) {
  // A local copy: the int8 output stores may alias anything the caller's params point
  // into, so the compiler would reload every field after each store; a local it need not.
  const Conv2dS8Params local = p;
  const std::int32_t in_batch = local.in_h * local.in_w * local.in_c;
  const std::int32_t out_batch = local.out_h * local.out_w * local.out_c;
  // The output stage's per-call decisions, made once (dsp.h lean_output).
  const bool lean = dsp::lean_output(local);
  for (std::int32_t b = 0; b < local.batches; ++b) {
    if (lean) {
      pointwise_gemm<true>(local, input + b * in_batch, weights, folded_bias,
                           output + b * out_batch);
    } else {
      pointwise_gemm<false>(local, input + b * in_batch, weights, folded_bias,
                            output + b * out_batch);
    }
  }
}

std::int32_t conv2d_s8_fast_scratch_bytes(const Conv2dS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
