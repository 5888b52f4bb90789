// conv2d_fast's loops (conv2d_fast.h describes them), included by its two entry points' files:
// conv2d_fast.cpp (any output stage) and conv2d_fast_short.cpp (dsp.h's short stage), so a
// generated package holds only the variant its layers call.
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/kernels/device/conv2d_fast.h"
#include "engine/kernels/device/conv2d_quads.h"
#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/mul_rows.h"

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

// Two pixels' input channels sign-extended once to 16-bit pairs, in the order the dot
// products read them: per group of 4 channels, pixel 0's (c0, c2), pixel 1's (c0, c2), pixel
// 0's (c1, c3), pixel 1's (c1, c3).
inline void expand_pair(const std::int8_t* x0, const std::int8_t* x1, std::int32_t in_c,
                        std::int8_t* xs) {
  for (std::int32_t ic = 0; ic + 4 <= in_c; ic += 4, xs += 16) {
    const std::uint32_t p0 = load_word(x0 + ic), p1 = load_word(x1 + ic);
    store_word(xs, sxtb16(p0));
    store_word(xs + 4, sxtb16(p1));
    store_word(xs + 8, sxtb16_ror8(p0));
    store_word(xs + 12, sxtb16_ror8(p1));
  }
}

// A multiply fused into the input (the *_mul entry points): pixel k's row of x is written
// over with its products with other's row k before the GEMM reads it (apply), or, where the
// GEMM reads the pair only through its expansion, the products go straight into the
// expansion's 16-bit lanes (expand_pair_mul) and x is left as it is.
// With params the short stage does not serve (fast false), always x written over, one value
// at a time with mul_s8's arithmetic.
struct FusedInput {
  std::int8_t* x;
  const std::int8_t* other;
  std::int32_t other_step, in_c;
  MulRowOffsets offsets;
  MulRowStage<false> stage;
  bool fast;
  const PointwiseMulS8Params* params;
  void apply(std::int32_t k) const {
    std::int8_t* row = x + k * in_c;
    const std::int8_t* with = other + k * other_step;
    if (fast) {
      mul_row(row, with, row, in_c, offsets, stage);
    } else {
      for (std::int32_t i = 0; i < in_c; ++i) row[i] = pointwise_mul_any(*params, row[i], with[i]);
    }
  }
};

inline FusedInput fused_input(const Conv2dS8Params& p, const PointwiseMulS8Params& m,
                              std::int8_t* x) {
  const bool fast = pointwise_mul_short(m);
  return {
      x,
      m.other,
      m.other_step,
      p.in_c,
      MulRowOffsets::of(m.x_offset, m.other_offset),
      fast ? mul_row_stage<false>(m.output_multiplier, m.output_shift, m.output_offset, -128, 127)
           : MulRowStage<false>{},
      fast,
      &m};
}

// expand_pair of the products of pixels px0 and px1 (in_c % 4 == 0): per group of 4 channels
// the 8 products in expand_pair's lane order, with PKHBT pairs of the stage's values. Gate:
// one row of other for every pixel (other_step 0), its lanes formed once per group.
template <bool Gate>
inline void expand_pair_mul(const FusedInput& f, std::int32_t px0, std::int32_t px1,
                            std::int8_t* xs) {
  const std::int8_t* x0 = f.x + px0 * f.in_c;
  const std::int32_t delta = (px1 - px0) * f.in_c;
  const std::int8_t* g0 = f.other + px0 * f.other_step;
  const std::int8_t* const end = x0 + f.in_c;
  const MulRowStage<false> stage = f.stage;
  const std::uint32_t o1 = f.offsets.lanes1, o2 = f.offsets.lanes2;
  for (; x0 != end; x0 += 4, g0 += 4, xs += 16) {
    const std::uint32_t w0 = load_word(x0), w1 = load_word(x0 + delta);
    const std::uint32_t gw0 = load_word(g0);
    const std::uint32_t ge0 = dsp::sxtab16(o2, gw0), go0 = dsp::sxtab16_ror8(o2, gw0);
    std::uint32_t ge1 = ge0, go1 = go0;
    if constexpr (!Gate) {
      const std::uint32_t gw1 = load_word(g0 + delta);
      ge1 = dsp::sxtab16(o2, gw1);
      go1 = dsp::sxtab16_ror8(o2, gw1);
    }
    const std::uint32_t ae0 = dsp::double_lanes(dsp::sxtab16(o1, w0));
    const std::uint32_t ao0 = dsp::double_lanes(dsp::sxtab16_ror8(o1, w0));
    const std::uint32_t ae1 = dsp::double_lanes(dsp::sxtab16(o1, w1));
    const std::uint32_t ao1 = dsp::double_lanes(dsp::sxtab16_ror8(o1, w1));
    using dsp::mul_high_lanes;
    using dsp::mul_low_lanes;
    using dsp::pack_low_halves;
    auto q = [&stage](std::int32_t product2) {
      return static_cast<std::uint32_t>(stage(product2));
    };
    store_word(xs, pack_low_halves(q(mul_low_lanes(ae0, ge0)), q(mul_high_lanes(ae0, ge0))));
    store_word(xs + 4, pack_low_halves(q(mul_low_lanes(ae1, ge1)), q(mul_high_lanes(ae1, ge1))));
    store_word(xs + 8, pack_low_halves(q(mul_low_lanes(ao0, go0)), q(mul_high_lanes(ao0, go0))));
    store_word(xs + 12, pack_low_halves(q(mul_low_lanes(ao1, go1)), q(mul_high_lanes(ao1, go1))));
  }
}

// Output channels [0, quad_channels(p)) run 4 at a time (quad_groups), the rest in pairs
// (pair_dot), an odd last one alone. Under 16 input channels a quad's fixed cost (the
// assembly call, 8 accumulators in and out) outweighs what it saves: pairs only.
inline std::int32_t quad_channels(const Conv2dS8Params& p) {
  return p.in_c >= 16 ? p.out_c & ~3 : 0;
}

#if defined(__ARM_FEATURE_DSP)
// quad_groups over `groups` (>= 1) groups of expanded inputs (xs: expand_pair's order) in
// assembly: GCC does not keep 8 accumulators, 2 input pairs, a weight word and its extension
// and both pointers in the 14 registers there are. Per group 30 instructions for 32 MACs and
// the loop's 3 (the end address lives on the stack). acc: the 8 accumulators, in and out.
// AAPCS: r0 xs, r1 w, r2 groups, r3 acc; r4-r11 and lr saved.
__attribute__((naked, noinline)) void quad_groups_expanded(const std::int8_t* /*xs*/,
                                                           const std::int8_t* /*w*/,
                                                           std::int32_t /*groups*/,
                                                           std::int32_t* /*acc*/) {
  // clang-format off
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "add r2, r0, r2, lsl #4\n\t"      // the end of xs
      "push {r2, r3}\n\t"               // [sp] end, [sp + 4] acc
      "ldm r3, {r4-r11}\n"
      "1:\n\t"
      TS_QUAD_GROUP
      "ldr r12, [sp]\n\t"
      "cmp r0, r12\n\t"
      "bne 1b\n\t"
      "pop {r2, r3}\n\t"
      "stm r3, {r4-r11}\n\t"
      "pop {r4-r11, pc}\n\t");
  // clang-format on
}
#endif

// The quad's groups over expanded inputs.
inline void quad_dot_expanded(const std::int8_t* xs, const std::int8_t* w, std::int32_t groups,
                              std::int32_t* acc) {
  if (groups == 0) return;
#if defined(__ARM_FEATURE_DSP)
  quad_groups_expanded(xs, w, groups, acc);
#else
  quad_groups(groups, w, acc, [xs](std::int32_t g) {
    const std::int8_t* at = xs + 16 * g;
    return GroupInputs{load_word(at), load_word(at + 4), load_word(at + 8), load_word(at + 12)};
  });
#endif
}

// The same from the raw inputs (the last pixels, whose free output cannot hold the expansion).
inline void quad_dot(const std::int8_t* x0, const std::int8_t* x1, const std::int8_t* w,
                     std::int32_t groups, std::int32_t* acc) {
  quad_groups(groups, w, acc, [x0, x1](std::int32_t g) {
    const std::uint32_t p0 = load_word(x0 + 4 * g), p1 = load_word(x1 + 4 * g);
    return GroupInputs{sxtb16(p0), sxtb16(p1), sxtb16_ror8(p0), sxtb16_ror8(p1)};
  });
}

// pair_dot on expanded inputs (the last in_c % 4 channels from x0 and x1 themselves).
inline PairAcc pair_dot_expanded(const std::int8_t* xs, const std::int8_t* x0,
                                 const std::int8_t* x1, const std::int8_t* w, std::int32_t in_c,
                                 std::int32_t bias_a, std::int32_t bias_b) {
  PairAcc r{bias_a, bias_a, bias_b, bias_b};
  const std::int8_t* const xs_end = xs + expanded_bytes(in_c);
  while (xs != xs_end) {
    const std::uint32_t p0e = load_word(xs), p1e = load_word(xs + 4);
    const std::uint32_t p0o = load_word(xs + 8), p1o = load_word(xs + 12);
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
// The output stage a call runs (decided once per call, dsp.h): kShort (short_output), kLean
// (lean_output), kFull (anything else).
enum class Stage { kFull, kLean, kShort };

// Writes the requantized accumulator (bias included) of channel oc with the stage S; holds
// only what S reads.
template <Stage S>
struct Output {
  Output(const Conv2dS8Params& params, std::int32_t oc)
      : p(params), stage(channel_stage(params, oc)) {}
  std::int8_t operator()(std::int32_t acc) const {
    return dsp::requantize_output_as<S == Stage::kLean>(p, stage, acc);
  }
  const Conv2dS8Params& p;
  ChannelStage stage;
};
template <>
struct Output<Stage::kShort> {
  Output(const Conv2dS8Params& params, std::int32_t oc)
      : stage(dsp::short_stage(params, nullptr, oc)) {}
  std::int8_t operator()(std::int32_t acc) const { return dsp::requantize_short(stage, acc); }
  dsp::ShortStage stage;
};

// Fused: `fused` is the multiply to run on each pixel first (stride 1, one batch); else null.
template <Stage S, bool Fused = false>
void pointwise_gemm(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                    const std::int32_t* bias, std::int8_t* output, const FusedInput* fused) {
  const std::int32_t in_c = p.in_c;
  const std::int32_t out_c = p.out_c;
  const std::int32_t pixels = p.out_h * p.out_w;
  const std::int32_t quads_end = quad_channels(p);  // then pairs, then a single channel
  const std::int32_t expanded = expanded_bytes(in_c);
  const std::int32_t groups = in_c >> 2;
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
    if constexpr (Fused) {
      // The products straight into the expansion where the GEMM reads nothing else of the
      // pair (no channel tail, no single last channel); else x written over first.
      if (expand && fused->fast && (in_c & 3) == 0 && (out_c & 1) == 0) {
        if (fused->other_step == 0) {
          expand_pair_mul<true>(*fused, px, px1, xs);
        } else {
          expand_pair_mul<false>(*fused, px, px1, xs);
        }
      } else {
        fused->apply(px);
        if (px1 != px) fused->apply(px1);
        if (expand) expand_pair(x0, x1, in_c, xs);
      }
    } else {
      if (expand) expand_pair(x0, x1, in_c, xs);
    }
    const std::int8_t* w = weights;
    std::int32_t first_oc = 0;
#if defined(__ARM_FEATURE_DSP)
    if constexpr (S == Stage::kShort) {
      // Per-channel requantization (the assembly reads each channel's multiplier and shift).
      if (expand && (in_c & 3) == 0 && quads_end > 0 && px1 == px + 1 &&
          p.requant_channels == out_c) {
        w = quads_expanded_short(p, xs, expanded, w, bias, out0, quads_end);
        first_oc = quads_end;
      }
    }
#endif
    for (std::int32_t oc = first_oc; oc < quads_end; oc += 4) {
      std::int32_t acc[8] = {bias[oc],     bias[oc],     bias[oc + 1], bias[oc + 1],
                             bias[oc + 2], bias[oc + 2], bias[oc + 3], bias[oc + 3]};
      if (expand) {
        quad_dot_expanded(xs, w, groups, acc);
      } else {
        quad_dot(x0, x1, w, groups, acc);
      }
      w += 16 * groups;
      for (std::int32_t ic = 4 * groups; ic < in_c; ++ic, w += 4) {
        const std::int32_t v0 = x0[ic], v1 = x1[ic];
        for (int c = 0; c < 4; ++c) {  // wrapping, as SMLAD's sums
          acc[2 * c] = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc[2 * c]) +
                                                 static_cast<std::uint32_t>(v0 * w[c]));
          acc[2 * c + 1] = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc[2 * c + 1]) +
                                                     static_cast<std::uint32_t>(v1 * w[c]));
        }
      }
      for (int c = 0; c < 4; ++c) {
        const Output<S> stage(p, oc + c);
        out1[oc + c] = stage(acc[2 * c + 1]);
        out0[oc + c] = stage(acc[2 * c]);
      }
    }
    for (std::int32_t oc = quads_end; oc + 1 < out_c; oc += 2) {
      const PairAcc r = expand ? pair_dot_expanded(xs, x0, x1, w, in_c, bias[oc], bias[oc + 1])
                               : pair_dot(x0, x1, w, in_c, bias[oc], bias[oc + 1]);
      w += 2 * in_c;
      const Output<S> sa(p, oc), sb(p, oc + 1);
      out1[oc] = sa(r.a1);
      out1[oc + 1] = sb(r.b1);
      out0[oc] = sa(r.a0);
      out0[oc + 1] = sb(r.b0);
    }
    if (out_c & 1) {
      const std::int32_t oc = out_c - 1;
      std::int32_t a0 = bias[oc], a1 = bias[oc];
      single_dot(x0, x1, w, in_c, &a0, &a1);
      const Output<S> s(p, oc);
      out1[oc] = s(a1);
      out0[oc] = s(a0);
    }
  }
}

// One call with the output stage S.
template <Stage S>
void run(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
         const std::int32_t* folded_bias, std::int8_t* output) {
  dsp::for_each_batch(p, input, output,
                      [&](const Conv2dS8Params& local, const std::int8_t* in, std::int8_t* out) {
                        pointwise_gemm<S>(local, in, weights, folded_bias, out, nullptr);
                      });
}

// One call with the output stage S and a fused multiply (conv2d_s8_fast_mul_applies).
template <Stage S>
void run_mul(const Conv2dS8Params& p, const PointwiseMulS8Params& m, std::int8_t* input,
             const std::int8_t* weights, const std::int32_t* folded_bias, std::int8_t* output) {
  const Conv2dS8Params local = p;
  const FusedInput fused = fused_input(local, m, input);
  pointwise_gemm<S, true>(local, input, weights, folded_bias, output, &fused);
}

}  // namespace
}  // namespace tinyscale::device
