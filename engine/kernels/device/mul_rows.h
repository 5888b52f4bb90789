// Rows of an int8 multiply on the DSP, shared by mul_s8_fast (mul_fast.h) and the pointwise
// convolution that runs a multiply fused into its input (conv2d_fast.h, *_mul entry points):
// out[i] = the MUL of a[i] and b[i] (mul_s8's value, byte for byte) under mul_fast.h's short
// stage, 4 values a word: SXTAB16 adds the offsets to two lanes, SADD16 doubles a's lanes,
// SMULBB / SMULTT form 2(a + o1)(b + o2), then one SMMULR and one floor shift with the output
// offset folded into the rounding term, SSAT #8 (mul_fast.h has the bounds that make it exact).
//
//   const MulRowStage<false> s = mul_row_stage<false>(multiplier, shift, offset, -128, 127);
//   mul_row(a, b, a, n, MulRowOffsets::of(o1, o2), s);   // in place over a
#pragma once

#include <cstdint>

#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fixed_point.h"
#include "engine/kernels/device/mul.h"

namespace tinyscale::device {

// A multiply fused into a pointwise convolution's input (conv2d_fast.h): the convolution's
// input pixel k holds operand x's row, `other` the other operand, whose row k starts at
// other + k * other_step; any requantization (mul_s8's fields). (The other operand's address
// is here, not an argument: the call keeps six arguments, as every kernel call, and so
// NAME_invoke()'s frame its size.)
struct PointwiseMulS8Params {
  std::int32_t x_offset, other_offset;  // -zero points of x and of the other operand
  std::int32_t output_offset, output_multiplier, output_shift;
  std::int32_t act_min, act_max;
  std::int32_t other_step;  // 0: one value per channel (a squeeze-excite gate); in_c: a map
  const std::int8_t* other;
};

// Whether mul_row's short stage without a clamp serves m (mul_fast.h's conditions, and the
// activation range all of int8).
inline bool pointwise_mul_short(const PointwiseMulS8Params& m) {
  return m.output_shift >= -23 && m.output_shift <= -1 && m.output_multiplier >= 0 &&
         m.output_offset >= -128 && m.output_offset <= 127 && m.x_offset >= -255 &&
         m.x_offset <= 255 && m.other_offset >= -255 && m.other_offset <= 255 &&
         m.act_min == -128 && m.act_max == 127;
}

// mul_s8's value of one pair, for the params the short stage does not serve.
inline std::int8_t pointwise_mul_any(const PointwiseMulS8Params& m, std::int8_t x,
                                     std::int8_t other) {
  return mul_s8_value((m.x_offset + x) * (m.other_offset + other), m.output_multiplier,
                      m.output_shift, m.output_offset, m.act_min, m.act_max);
}

// The stage on the doubled product 2(a + o1)(b + o2): the stored value. Clamp: the
// activation range is narrower than int8's.
template <bool Clamp>
struct MulRowStage {
  std::int32_t multiplier, rounding, right_shift, act_min, act_max;
  std::int32_t operator()(std::int32_t product2) const {
    const std::int32_t high = dsp::rounding_high_mul(product2, multiplier);
    const std::int32_t q = dsp::saturate_s8((high + rounding + (high >> 31)) >> right_shift);
    if constexpr (Clamp) return clamp_s32(q, act_min, act_max);
    return q;
  }
};

// shift in [-23, -1] (mul_s8_fast_short_stage).
template <bool Clamp>
inline MulRowStage<Clamp> mul_row_stage(std::int32_t multiplier, std::int32_t shift,
                                        std::int32_t output_offset, std::int32_t act_min,
                                        std::int32_t act_max) {
  const std::int32_t rs = -shift;
  const auto rounding = static_cast<std::int32_t>(
      (std::uint32_t{1} << (rs - 1)) + (static_cast<std::uint32_t>(output_offset) << rs));
  return {multiplier, rounding, rs, act_min, act_max};
}

// The two input offsets, each in both 16-bit lanes of a word, and as values.
struct MulRowOffsets {
  std::uint32_t lanes1, lanes2;
  std::int32_t o1, o2;
  static MulRowOffsets of(std::int32_t o1, std::int32_t o2) {
    return {dsp::pack_low_halves(static_cast<std::uint32_t>(o1), static_cast<std::uint32_t>(o1)),
            dsp::pack_low_halves(static_cast<std::uint32_t>(o2), static_cast<std::uint32_t>(o2)),
            o1, o2};
  }
  MulRowOffsets swapped() const { return {lanes2, lanes1, o2, o1}; }
};

// out[i] = stage(2(a[i] + o1)(b[i] + o2)) for i < n; out may be a or b.
template <typename Stage>
inline void mul_row(const std::int8_t* a, const std::int8_t* b, std::int8_t* out, std::int32_t n,
                    const MulRowOffsets& o, const Stage& stage) {
  std::int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const std::uint32_t wa = dsp::load_word(a + i), wb = dsp::load_word(b + i);
    // Lanes (a0, a2) and (a1, a3) with the offset, doubled: 2(a + o1) fits a lane.
    const std::uint32_t ae = dsp::double_lanes(dsp::sxtab16(o.lanes1, wa));
    const std::uint32_t ao = dsp::double_lanes(dsp::sxtab16_ror8(o.lanes1, wa));
    const std::uint32_t be = dsp::sxtab16(o.lanes2, wb), bo = dsp::sxtab16_ror8(o.lanes2, wb);
    const std::int32_t q0 = stage(dsp::mul_low_lanes(ae, be));
    const std::int32_t q1 = stage(dsp::mul_low_lanes(ao, bo));
    const std::int32_t q2 = stage(dsp::mul_high_lanes(ae, be));
    const std::int32_t q3 = stage(dsp::mul_high_lanes(ao, bo));
    out[i] = static_cast<std::int8_t>(q0);
    out[i + 1] = static_cast<std::int8_t>(q1);
    out[i + 2] = static_cast<std::int8_t>(q2);
    out[i + 3] = static_cast<std::int8_t>(q3);
  }
  for (; i < n; ++i) out[i] = static_cast<std::int8_t>(stage(2 * (a[i] + o.o1) * (b[i] + o.o2)));
}

}  // namespace tinyscale::device
