// Fixed-point arithmetic of the int8 device kernels, bit-compatible with TensorFlow Lite
// Micro's reference kernels (tensorflow/lite/kernels/internal/common.h and gemmlowp's
// fixedpoint/fixedpoint.h, double-rounding build: TFLITE_SINGLE_ROUNDING off).
//
// Freestanding: only <cstdint>, no heap, no exceptions, no standard library calls, so the
// same functions compile for the host engine and for Cortex-M firmware (arm-none-eabi-gcc).
// This is the ONE implementation: engine/kernels/quantization_util.h re-exports these names
// into tinyscale::engine for the host glue; prepare-time helpers (double precision) stay
// there.
//
// Usage (a device kernel's output stage):
//   acc = multiply_by_quantized_multiplier(acc, p.multipliers[c], p.shifts[c]);
//   out[i] = static_cast<std::int8_t>(clamp_s32(acc + p.output_offset, p.act_min, p.act_max));
#pragma once

#include <cstdint>

namespace tinyscale::device {

inline constexpr std::int32_t kInt32Min = -2147483647 - 1;
inline constexpr std::int32_t kInt32Max = 2147483647;
inline constexpr std::int16_t kInt16Min = -32768;
inline constexpr std::int16_t kInt16Max = 32767;

inline constexpr std::int32_t min_s32(std::int32_t a, std::int32_t b) { return a < b ? a : b; }
inline constexpr std::int32_t max_s32(std::int32_t a, std::int32_t b) { return a > b ? a : b; }
inline constexpr std::int32_t clamp_s32(std::int32_t x, std::int32_t lo, std::int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}
// a + b wrapping around in two's complement: what TFLite's kernels compute when a model's
// int32 bias meets an accumulator past the int32 range (a plain `acc += bias` is undefined
// behaviour there; found by fuzz/fuzz_tflite with a bias of -2^31).
inline constexpr std::int32_t wrapping_add_s32(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}

// Leading zero bits of a 32-bit value (32 for 0); CLZ on Cortex-M3 and later.
inline int count_leading_zeros(std::uint32_t x) {
  return x == 0 ? 32 : __builtin_clz(x);
}

// ---------------------------------------------------------------------------------------
// Scalar fixed-point primitives (gemmlowp semantics).

// (a * b * 2) >> 32 rounded to nearest (ties away from zero); INT32_MIN * INT32_MIN
// saturates to INT32_MAX. ARM's SQRDMULH.
inline std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) {
  const bool overflow = a == b && a == kInt32Min;
  const std::int64_t ab = static_cast<std::int64_t>(a) * static_cast<std::int64_t>(b);
  const std::int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  // Division (not a shift) on purpose: it truncates toward zero, as gemmlowp does.
  const auto high = static_cast<std::int32_t>((ab + nudge) / (std::int64_t{1} << 31));
  return overflow ? kInt32Max : high;
}

inline std::int16_t saturating_rounding_doubling_high_mul(std::int16_t a, std::int16_t b) {
  const bool overflow = a == b && a == kInt16Min;
  const std::int32_t ab = static_cast<std::int32_t>(a) * static_cast<std::int32_t>(b);
  const std::int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  const auto high = static_cast<std::int16_t>((ab + nudge) / (1 << 15));
  return overflow ? kInt16Max : high;
}

// x / 2^exponent rounded to nearest, ties away from zero (exponent in [0, 31]).
inline std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) {
  const auto mask = static_cast<std::int32_t>((std::int64_t{1} << exponent) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

inline std::int16_t rounding_divide_by_pot(std::int16_t x, int exponent) {
  const auto mask = static_cast<std::int16_t>((std::int64_t{1} << exponent) - 1);
  const auto remainder = static_cast<std::int16_t>(x & mask);
  const auto threshold = static_cast<std::int16_t>((mask >> 1) + (x < 0 ? 1 : 0));
  return static_cast<std::int16_t>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

// x * 2^Exponent: saturating for Exponent > 0, rounding (as above) for Exponent < 0.
template <int Exponent>
std::int32_t saturating_rounding_multiply_by_pot(std::int32_t x) {
  if constexpr (Exponent > 0) {
    constexpr std::int32_t threshold = (std::int32_t{1} << (31 - Exponent)) - 1;
    if (x > threshold) return kInt32Max;
    if (x < -threshold) return kInt32Min;
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << Exponent);
  } else if constexpr (Exponent < 0) {
    return rounding_divide_by_pot(x, -Exponent);
  } else {
    return x;
  }
}

// x · 2^shift wrapping around in two's complement, as TFLite's `x * (1 << left_shift)`
// computes it on every target (signed overflow in C++ for an accumulator that a file's scales
// push past the int32 range; found by fuzz/fuzz_tflite). 0 for a shift of 32 or more.
inline constexpr std::int32_t wrapping_shift_left_s32(std::int32_t x, int shift) {
  return shift >= 32 ? 0 : static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << shift);
}

// TFLite's MultiplyByQuantizedMultiplier (double rounding): x * multiplier * 2^(shift - 31).
inline std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t multiplier,
                                                     int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return rounding_divide_by_pot(
      saturating_rounding_doubling_high_mul(wrapping_shift_left_s32(x, left_shift), multiplier),
      right_shift);
}

// Variants named after TFLite's, for multipliers known to be < 1 (left_shift <= 0) or > 1.
inline std::int32_t multiply_by_quantized_multiplier_smaller_than_one_exp(std::int32_t x,
                                                                          std::int32_t multiplier,
                                                                          int left_shift) {
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -left_shift);
}
inline std::int32_t multiply_by_quantized_multiplier_greater_than_one(std::int32_t x,
                                                                      std::int32_t multiplier,
                                                                      int left_shift) {
  return saturating_rounding_doubling_high_mul(wrapping_shift_left_s32(x, left_shift), multiplier);
}

// The int8 output stage of conv2d and fully_connected (TFLM's ConvPerChannel /
// FullyConnected): requantization by a multiplier and shift, + output zero point, clamp to
// the fused activation range (the bias is already in `acc`).
inline std::int8_t requantize_s8(std::int32_t acc, std::int32_t multiplier, int shift,
                                 std::int32_t output_offset, std::int32_t act_min,
                                 std::int32_t act_max) {
  acc = multiply_by_quantized_multiplier(acc, multiplier, shift) + output_offset;
  return static_cast<std::int8_t>(clamp_s32(acc, act_min, act_max));
}

// ---------------------------------------------------------------------------------------
// gemmlowp FixedPoint<std::int32_t, IntegerBits>: a Q(IntegerBits).(31 - IntegerBits) value.
// Addition and negation wrap (as the two's-complement hardware gemmlowp targets does).

template <int IntegerBits>
struct FixedPoint {
  static_assert(IntegerBits >= 0 && IntegerBits < 32);
  static constexpr int kIntegerBits = IntegerBits;
  static constexpr int kFractionalBits = 31 - IntegerBits;
  std::int32_t raw = 0;

  static constexpr FixedPoint from_raw(std::int32_t r) { return FixedPoint{r}; }
  static constexpr FixedPoint zero() { return FixedPoint{0}; }
  static constexpr FixedPoint one() {
    return FixedPoint{IntegerBits == 0
                          ? kInt32Max
                          : std::int32_t{1} << (IntegerBits == 0 ? 0 : kFractionalBits)};
  }
  template <int Exponent>
  static constexpr FixedPoint constant_pot() {
    static_assert(kFractionalBits + Exponent >= 0 && kFractionalBits + Exponent < 31);
    return FixedPoint{std::int32_t{1} << (kFractionalBits + Exponent)};
  }
};

namespace fixed_point_detail {
inline std::int32_t wrapping_add(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}
inline std::int32_t wrapping_sub(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
}
}  // namespace fixed_point_detail

template <int A, int B>
FixedPoint<A + B> operator*(FixedPoint<A> a, FixedPoint<B> b) {
  return FixedPoint<A + B>::from_raw(saturating_rounding_doubling_high_mul(a.raw, b.raw));
}
template <int I>
FixedPoint<I> operator+(FixedPoint<I> a, FixedPoint<I> b) {
  return FixedPoint<I>::from_raw(fixed_point_detail::wrapping_add(a.raw, b.raw));
}
template <int I>
FixedPoint<I> operator-(FixedPoint<I> a, FixedPoint<I> b) {
  return FixedPoint<I>::from_raw(fixed_point_detail::wrapping_sub(a.raw, b.raw));
}
template <int I>
FixedPoint<I> operator-(FixedPoint<I> a) {
  return FixedPoint<I>::from_raw(fixed_point_detail::wrapping_sub(0, a.raw));
}
template <int I>
FixedPoint<I> operator&(FixedPoint<I> a, FixedPoint<I> b) {
  return FixedPoint<I>::from_raw(a.raw & b.raw);
}

// Same value, different number of integer bits (saturating / rounding).
template <int Dst, int Src>
FixedPoint<Dst> rescale(FixedPoint<Src> x) {
  return FixedPoint<Dst>::from_raw(saturating_rounding_multiply_by_pot<Src - Dst>(x.raw));
}
// Exact multiplication by 2^Exponent: same raw bits, Exponent more integer bits.
template <int Exponent, int I>
FixedPoint<I + Exponent> exact_mul_by_pot(FixedPoint<I> x) {
  return FixedPoint<I + Exponent>::from_raw(x.raw);
}
template <int Exponent, int I>
FixedPoint<I> saturating_rounding_multiply_by_pot(FixedPoint<I> x) {
  return FixedPoint<I>::from_raw(saturating_rounding_multiply_by_pot<Exponent>(x.raw));
}

// (a + b) / 2 rounded away from zero, computed in 64 bits.
inline std::int32_t rounding_half_sum(std::int32_t a, std::int32_t b) {
  const std::int64_t sum = std::int64_t{a} + std::int64_t{b};
  const std::int64_t sign = sum >= 0 ? 1 : -1;
  return static_cast<std::int32_t>((sum + sign) / 2);
}

// exp(x) for x in [-1/4, 0): Taylor expansion around -1/8.
inline FixedPoint<0> exp_on_interval_between_negative_one_quarter_and_0_excl(FixedPoint<0> a) {
  using F = FixedPoint<0>;
  const F constant_term = F::from_raw(1895147668);     // exp(-1/8)
  const F constant_1_over_3 = F::from_raw(715827883);  // 1/3
  const F x = a + F::constant_pot<-3>();
  const F x2 = x * x;
  const F x3 = x2 * x;
  const F x4 = x2 * x2;
  const F x4_over_4 = saturating_rounding_multiply_by_pot<-2>(x4);
  const F x4_over_24_plus_x3_over_6_plus_x2_over_2 =
      saturating_rounding_multiply_by_pot<-1>(((x4_over_4 + x3) * constant_1_over_3) + x2);
  return constant_term + constant_term * (x + x4_over_24_plus_x3_over_6_plus_x2_over_2);
}

// exp(a) for a <= 0, as Q0.31.
template <int IntegerBits>
FixedPoint<0> exp_on_negative_values(FixedPoint<IntegerBits> a) {
  using InputF = FixedPoint<IntegerBits>;
  using ResultF = FixedPoint<0>;
  constexpr int kFractionalBits = InputF::kFractionalBits;
  const InputF one_quarter = InputF::template constant_pot<-2>();
  const InputF mask = one_quarter - InputF::from_raw(1);
  const InputF a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  ResultF result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      rescale<0>(a_mod_quarter_minus_one_quarter));
  const std::int32_t remainder = (a_mod_quarter_minus_one_quarter - a).raw;

  // Barrel shifter: multiply by exp(-2^k) for every bit k set in the remainder.
  constexpr int kExponents[] = {-2, -1, 0, 1, 2, 3, 4};
  constexpr std::int32_t kMultipliers[] = {1672461947, 1302514674, 790015084, 290630308,
                                           39332535,   720401,     242};
  for (int i = 0; i < 7; ++i) {
    if (IntegerBits > kExponents[i]) {
      const int shift_amount = kFractionalBits + kExponents[i];
      if ((remainder & (std::int32_t{1} << shift_amount)) != 0) {
        result = result * ResultF::from_raw(kMultipliers[i]);
      }
    }
  }
  if constexpr (IntegerBits > 5) {
    constexpr int clamp_bits = 36 - IntegerBits;
    if (a.raw < -(std::int32_t{1} << clamp_bits)) result = ResultF::zero();
  }
  if (a.raw == 0) result = ResultF::one();
  return result;
}

// Newton-Raphson 1 / (1 + a) for a in [0, 1), as Q0.31 (half the reciprocal of half the
// denominator, 3 iterations from 48/17 - 32/17 d).
inline FixedPoint<2> newton_raphson_half_reciprocal(FixedPoint<0> half_denominator) {
  using F2 = FixedPoint<2>;
  const F2 constant_48_over_17 = F2::from_raw(1515870810);
  const F2 constant_neg_32_over_17 = F2::from_raw(-1010580540);
  F2 x = constant_48_over_17 + half_denominator * constant_neg_32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus_half_denominator_times_x = F2::one() - half_denominator_times_x;
    x = x + rescale<2>(x * one_minus_half_denominator_times_x);
  }
  return x;
}

inline FixedPoint<0> one_over_one_plus_x_for_x_in_0_1(FixedPoint<0> a) {
  const FixedPoint<0> half_denominator =
      FixedPoint<0>::from_raw(rounding_half_sum(a.raw, FixedPoint<0>::one().raw));
  return rescale<0>(exact_mul_by_pot<-1>(newton_raphson_half_reciprocal(half_denominator)));
}

inline FixedPoint<0> one_minus_x_over_one_plus_x_for_x_in_0_1(FixedPoint<0> a) {
  const FixedPoint<0> half_denominator =
      FixedPoint<0>::from_raw(rounding_half_sum(a.raw, FixedPoint<0>::one().raw));
  return rescale<0>(newton_raphson_half_reciprocal(half_denominator) - FixedPoint<2>::one());
}

// 1 / (1 + exp(-a)) as Q0.31.
template <int IntegerBits>
FixedPoint<0> fixed_point_logistic(FixedPoint<IntegerBits> a) {
  using ResultF = FixedPoint<0>;
  if (a.raw == 0) return ResultF::from_raw(1 << 30);
  const bool positive = a.raw > 0;
  const FixedPoint<IntegerBits> abs_input = positive ? a : -a;
  const ResultF result_if_positive =
      one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs_input));
  return positive ? result_if_positive : ResultF::one() - result_if_positive;
}

// tanh(a) as Q0.31.
template <int IntegerBits>
FixedPoint<0> fixed_point_tanh(FixedPoint<IntegerBits> a) {
  using ResultF = FixedPoint<0>;
  if (a.raw == 0) return ResultF::zero();
  const bool negative = a.raw < 0;
  const FixedPoint<IntegerBits> n = negative ? a : -a;  // -|a|
  const ResultF t =
      one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(exact_mul_by_pot<1>(n)));
  return negative ? -t : t;
}

// TFLite's GetReciprocal: 1 / x for x a Q(x_integer_digits) value, as a Q0.31 mantissa and
// the number of bits the true result lies above 1.
inline std::int32_t get_reciprocal(std::int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  const int headroom_plus_one = count_leading_zeros(static_cast<std::uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const auto shifted_sum_minus_one = static_cast<std::int32_t>(
      (static_cast<std::uint32_t>(x) << headroom_plus_one) - (std::uint32_t{1} << 31));
  return one_over_one_plus_x_for_x_in_0_1(FixedPoint<0>::from_raw(shifted_sum_minus_one)).raw;
}

}  // namespace tinyscale::device
