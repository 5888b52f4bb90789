// Shared helpers of the DSP fast kernels (issue 16): the Cortex-M DSP-extension operations
// on two signed 16-bit lanes (SXTB16, SXTAB16, SMLAD) and the per-channel int8 output stage.
//
// Built with __ARM_FEATURE_DSP the operations are the ACLE intrinsics (<arm_acle.h>) or one
// inline instruction; elsewhere (the host, cores without DSP) portable C++ with the same
// semantics, so the host tests run the kernels' very loops. finish() is byte for byte
// requantize_s8 (fixed_point.h) plus the clamp and conv2d_stored_value (conv2d.h).
//
//   const ChannelStage s = channel_stage(p, folded_bias, oc);   // once per channel
//   acc = smlad(sxtb16(x), sxtb16(w), acc);                     // two MACs
//   out[oc] = finish(p, s, acc);
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/fixed_point.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

namespace tinyscale::device::dsp {

// Two signed 16-bit lanes in a 32-bit word (lane 0 in bits 0..15).
#if defined(__ARM_FEATURE_DSP)

inline std::uint32_t sxtb16(std::uint32_t x) {
  return static_cast<std::uint32_t>(__sxtb16(static_cast<int8x4_t>(x)));
}
// Bytes 1 and 3 of x, sign-extended (SXTB16 x, ROR #8).
inline std::uint32_t sxtb16_ror8(std::uint32_t x) {
  std::uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
// Lane-wise a + sign-extended bytes 0 and 2 of x (SXTAB16).
inline std::uint32_t sxtab16(std::uint32_t a, std::uint32_t x) {
  return static_cast<std::uint32_t>(__sxtab16(static_cast<int16x2_t>(a), static_cast<int8x4_t>(x)));
}
inline std::uint32_t sxtab16_ror8(std::uint32_t a, std::uint32_t x) {
  std::uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
// acc + lane0(x) * lane0(y) + lane1(x) * lane1(y) (SMLAD).
inline std::int32_t smlad(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return __smlad(static_cast<int16x2_t>(x), static_cast<int16x2_t>(y), acc);
}

#else

inline std::int32_t lane(std::uint32_t x, int i) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(x >> (16 * i)));
}
inline std::uint32_t pack(std::int32_t lo, std::int32_t hi) {
  return (static_cast<std::uint32_t>(lo) & 0xFFFFu) | (static_cast<std::uint32_t>(hi) << 16);
}
inline std::int32_t byte(std::uint32_t x, int i) {
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(x >> (8 * i)));
}
inline std::uint32_t sxtb16(std::uint32_t x) { return pack(byte(x, 0), byte(x, 2)); }
inline std::uint32_t sxtb16_ror8(std::uint32_t x) { return pack(byte(x, 1), byte(x, 3)); }
inline std::uint32_t sxtab16(std::uint32_t a, std::uint32_t x) {
  return pack(lane(a, 0) + byte(x, 0), lane(a, 1) + byte(x, 2));
}
inline std::uint32_t sxtab16_ror8(std::uint32_t a, std::uint32_t x) {
  return pack(lane(a, 0) + byte(x, 1), lane(a, 1) + byte(x, 3));
}
inline std::int32_t smlad(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  const std::uint32_t sum = static_cast<std::uint32_t>(acc) +
                            static_cast<std::uint32_t>(lane(x, 0) * lane(y, 0)) +
                            static_cast<std::uint32_t>(lane(x, 1) * lane(y, 1));
  return static_cast<std::int32_t>(sum);
}

#endif

// Lane products (SMULBB, SMULTT) and lane-wise doubling (SADD16).
#if defined(__ARM_FEATURE_DSP)
// (GCC 12's <arm_acle.h> has no __smulbb / __smultt.)
inline std::int32_t mul_low_lanes(std::uint32_t a, std::uint32_t b) {
  std::int32_t r;
  __asm__("smulbb %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline std::int32_t mul_high_lanes(std::uint32_t a, std::uint32_t b) {
  std::int32_t r;
  __asm__("smultt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline std::uint32_t double_lanes(std::uint32_t a) {
  return static_cast<std::uint32_t>(__sadd16(static_cast<int16x2_t>(a), static_cast<int16x2_t>(a)));
}
#else
inline std::int32_t mul_low_lanes(std::uint32_t a, std::uint32_t b) {
  return lane(a, 0) * lane(b, 0);
}
inline std::int32_t mul_high_lanes(std::uint32_t a, std::uint32_t b) {
  return lane(a, 1) * lane(b, 1);
}
inline std::uint32_t double_lanes(std::uint32_t a) { return pack(2 * lane(a, 0), 2 * lane(a, 1)); }
#endif

inline std::uint32_t load_word(const std::int8_t* p) {
  std::uint32_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Halfword packs: a's low half in the bottom, b's low half in the top (PKHBT a, b, LSL #16);
// a's top half in the bottom, b's top half in the top (PKHTB b, a, ASR #16).
#if defined(__ARM_FEATURE_DSP)
inline std::uint32_t pack_low_halves(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline std::uint32_t pack_high_halves(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
  return r;
}
#else
inline std::uint32_t pack_low_halves(std::uint32_t a, std::uint32_t b) {
  return (a & 0xFFFFu) | (b << 16);
}
inline std::uint32_t pack_high_halves(std::uint32_t a, std::uint32_t b) {
  return (b & 0xFFFF0000u) | (a >> 16);
}
#endif

// The output stage of one channel, prepared once for the pixels it serves: bias, and
// requantize_s8's multiply_by_quantized_multiplier split into its left shift, the
// doubling high multiply and the rounding right shift (its mask and threshold).
struct ChannelStage {
  std::int32_t bias, multiplier, left_shift, right_shift, mask, half_mask;
};

// bias may be null (0); with the accumulators started at the bias, channel_stage(p, oc).
inline ChannelStage channel_stage(const Conv2dS8Params& p, const std::int32_t* bias,
                                  std::int32_t oc) {
  const std::int32_t c = p.requant_channels > 1 ? oc : 0;
  const std::int32_t shift = p.shifts[c];
  ChannelStage s;
  s.bias = bias ? bias[oc] : 0;
  s.multiplier = p.multipliers[c];
  s.left_shift = shift > 0 ? shift : 0;
  s.right_shift = shift > 0 ? 0 : -shift;
  s.mask = static_cast<std::int32_t>((std::int64_t{1} << s.right_shift) - 1);
  s.half_mask = s.mask >> 1;
  return s;
}
inline ChannelStage channel_stage(const Conv2dS8Params& p, std::int32_t oc) {
  return channel_stage(p, nullptr, oc);
}

// Byte for byte requantize_s8 (fixed_point.h) of an accumulator that already holds the bias,
// then the clamp and the output table. The doubling high multiply's nudge-then-truncate
// equals (a * b + 2^30) >> 31 rounded down for either sign of a * b: for a * b < 0,
// trunc((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31). Its one saturating case
// (a == b == INT32_MIN) cannot occur: multipliers are Q0.31 values in [0, 2^31).
// The rounding right shift is round-half-away-from-zero: remainder > mask / 2 + (x < 0).
inline std::int8_t requantize_output(const Conv2dS8Params& p, const ChannelStage& s,
                                     std::int32_t acc) {
  const auto x = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) << s.left_shift);
  const auto high = static_cast<std::int32_t>(
      (static_cast<std::int64_t>(x) * s.multiplier + (std::int64_t{1} << 30)) >> 31);
  const std::int32_t threshold =
      s.half_mask + static_cast<std::int32_t>(static_cast<std::uint32_t>(high) >> 31);
  std::int32_t q = (high >> s.right_shift) + ((high & s.mask) > threshold ? 1 : 0);
  q += p.output_offset;
  q = q < p.act_min ? p.act_min : q;
  q = q > p.act_max ? p.act_max : q;
  return conv2d_stored_value(p, static_cast<std::int8_t>(q));
}

// requantize_output for a call whose activation range is all of int8 and that has no output
// table (decided once per call by the kernel: lean_output(p)): the clamp is one saturation
// (SSAT #8 on the DSP), no table test. Same bytes.
inline bool lean_output(const Conv2dS8Params& p) {
  return p.output_table == nullptr && p.act_min == -128 && p.act_max == 127;
}
inline std::int32_t saturate_s8(std::int32_t q) {
#if defined(__ARM_FEATURE_DSP)
  return __ssat(q, 8);
#else
  return q < -128 ? -128 : (q > 127 ? 127 : q);
#endif
}
template <bool Lean>
inline std::int8_t requantize_output_as(const Conv2dS8Params& p, const ChannelStage& s,
                                        std::int32_t acc) {
  if constexpr (!Lean) {
    return requantize_output(p, s, acc);
  } else {
    const auto x = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) << s.left_shift);
    const auto high = static_cast<std::int32_t>(
        (static_cast<std::int64_t>(x) * s.multiplier + (std::int64_t{1} << 30)) >> 31);
    const std::int32_t threshold =
        s.half_mask + static_cast<std::int32_t>(static_cast<std::uint32_t>(high) >> 31);
    const std::int32_t q = (high >> s.right_shift) + ((high & s.mask) > threshold ? 1 : 0);
    return static_cast<std::int8_t>(saturate_s8(q + p.output_offset));
  }
}

// Runs batch(params, input, output) for each batch of a convolution call, on a local copy of
// its params: the int8 output stores may alias anything the caller's params point into, so the
// compiler would reload every field after each store; a local it need not.
template <typename Batch>
inline void for_each_batch(const Conv2dS8Params& p, const std::int8_t* input, std::int8_t* output,
                           const Batch& batch) {
  const Conv2dS8Params local = p;
  const std::int32_t in_batch = local.in_h * local.in_w * local.in_c;
  const std::int32_t out_batch = local.out_h * local.out_w * local.out_c;
  for (std::int32_t b = 0; b < local.batches; ++b) {
    batch(local, input + b * in_batch, output + b * out_batch);
  }
}

// The short output stage: byte for byte requantize_output for a call whose activation range is
// all of int8 and whose every channel shifts right by 1..31 or has a zero multiplier
// (short_output(p), decided once per call: TFLite's usual requantization), with or without an
// output table, in about 10 instructions on the DSP instead of about 20:
//   high = (x * m + 2^30) >> 31, as one SMMULR of 2x, (2x * m + 2^31) >> 32, where 2x fits
//     (|x| < 2^30); otherwise the 64-bit product and a 64-bit rounding below;
//   q = ((high + 2^(rs-1) - [high < 0]) >> rs) + output_offset, clamped by SSAT #8;
//   the stored byte table[q] (LDRSB): the output table, or kIdentity without one, so that one
//     kernel serves both (a fused activation's table is what PhiNet's hard-swish layers have).
// The rounding right shift is requantize_output's (remainder > mask / 2 + [x < 0]) written as
// one floor shift. Where 2x fits, |high| < 2^30, so high + 2^(rs-1) fits in int32 for every
// rs <= 31. A zero multiplier gives high = 0 whatever the shift: its channel takes rs = 1.
struct IdentityTable {
  std::int8_t v[256];
  constexpr IdentityTable() : v{} {
    for (int i = 0; i < 256; ++i) v[i] = static_cast<std::int8_t>(i - 128);
  }
};
inline constexpr IdentityTable kIdentity{};

struct ShortStage {
  std::int32_t bias, multiplier, half, right_shift, offset;
  const std::int8_t* table;  // 256 bytes from table - 128: indexed by q in [-128, 127]
};

inline bool short_output(const Conv2dS8Params& p) {
  if (p.act_min != -128 || p.act_max != 127 || p.requant_channels < 1) return false;
  for (std::int32_t c = 0; c < p.requant_channels; ++c) {
    if (p.multipliers[c] != 0 && (p.shifts[c] > -1 || p.shifts[c] < -31)) return false;
  }
  return p.output_offset >= -128 && p.output_offset <= 127;
}

// bias may be null (0).
inline ShortStage short_stage(const Conv2dS8Params& p, const std::int32_t* bias, std::int32_t oc) {
  const std::int32_t c = p.requant_channels > 1 ? oc : 0;
  const std::int32_t right_shift = p.multipliers[c] == 0 ? 1 : -p.shifts[c];
  return {bias ? bias[oc] : 0,
          p.multipliers[c],
          static_cast<std::int32_t>(std::uint32_t{1} << (right_shift - 1)),
          right_shift,
          p.output_offset,
          (p.output_table ? p.output_table : kIdentity.v) + 128};
}

inline std::int32_t saturating_add(std::int32_t a, std::int32_t b) {
#if defined(__ARM_FEATURE_DSP)
  return __qadd(a, b);
#else
  const std::int64_t sum = static_cast<std::int64_t>(a) + b;
  return sum > kInt32Max ? kInt32Max : sum < kInt32Min ? kInt32Min : static_cast<std::int32_t>(sum);
#endif
}

// (a * b + 2^31) >> 32: the high word of the product, rounded (SMMULR).
inline std::int32_t rounding_high_mul(std::int32_t a, std::int32_t b) {
#if defined(__ARM_FEATURE_DSP)
  std::int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  return static_cast<std::int32_t>((static_cast<std::int64_t>(a) * b + (std::int64_t{1} << 31)) >>
                                   32);
#endif
}

// The short stage's path for |x| >= 2^30 (rare: out of line, one copy per kernel).
// The stage by value: a reference would make every caller keep its stage in memory.
[[gnu::noinline]] inline std::int8_t requantize_short_wide(ShortStage s, std::int32_t x) {
  const std::int64_t high =
      (static_cast<std::int64_t>(x) * s.multiplier + (std::int64_t{1} << 30)) >> 31;
  const std::int64_t q = (high + s.half - (high < 0 ? 1 : 0)) >> s.right_shift;
  return s.table[saturate_s8(static_cast<std::int32_t>(q) + s.offset)];
}

// The short stage on an accumulator that holds the bias.
inline std::int8_t requantize_short(const ShortStage& s, std::int32_t x) {
  std::int32_t x2;
  if (__builtin_add_overflow(x, x, &x2)) [[unlikely]] {
    return requantize_short_wide(s, x);
  }
  const std::int32_t high = rounding_high_mul(x2, s.multiplier);
  const std::int32_t sum = high + (s.half + (high >> 31));
  return s.table[saturate_s8((sum >> s.right_shift) + s.offset)];
}

// The short stage on an accumulator without the bias (added here, wrapping).
inline std::int8_t finish_short(const ShortStage& s, std::int32_t acc) {
  return requantize_short(s, static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                                       static_cast<std::uint32_t>(s.bias)));
}

// The same for an accumulator without the bias (added here, wrapping as the reference's).
inline std::int8_t finish(const Conv2dS8Params& p, const ChannelStage& s, std::int32_t acc) {
  return requantize_output(p, s,
                           static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                                     static_cast<std::uint32_t>(s.bias)));
}

template <bool Lean>
inline std::int8_t finish_as(const Conv2dS8Params& p, const ChannelStage& s, std::int32_t acc) {
  return requantize_output_as<Lean>(p, s,
                                    static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                                              static_cast<std::uint32_t>(s.bias)));
}

// A kernel templated on its stage type (ChannelStage or ShortStage, chosen once per call)
// builds each channel's with make_stage and applies it with finish (the overloads above).
inline std::int8_t finish(const Conv2dS8Params& /*p*/, const ShortStage& s, std::int32_t acc) {
  return finish_short(s, acc);
}
template <typename Stage>
Stage make_stage(const Conv2dS8Params& p, const std::int32_t* bias, std::int32_t oc);
template <>
inline ChannelStage make_stage<ChannelStage>(const Conv2dS8Params& p, const std::int32_t* bias,
                                             std::int32_t oc) {
  return channel_stage(p, bias, oc);
}
template <>
inline ShortStage make_stage<ShortStage>(const Conv2dS8Params& p, const std::int32_t* bias,
                                         std::int32_t oc) {
  return short_stage(p, bias, oc);
}
// Whether a kernel's stage type is ShortStage: the calls whose assembly paths apply.
template <typename Stage>
inline constexpr bool kIsShortStage = false;
template <>
inline constexpr bool kIsShortStage<ShortStage> = true;

}  // namespace tinyscale::device::dsp
