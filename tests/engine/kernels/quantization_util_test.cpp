#include "engine/kernels/quantization_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace tinyscale::engine {
namespace {

struct Quantized {
  std::int32_t multiplier;
  int shift;
};
Quantized quantize(double real) {
  Quantized q{};
  quantize_multiplier(real, &q.multiplier, &q.shift);
  return q;
}

TEST(QuantizeMultiplier, MatchesFrexpMantissaAndExponent) {
  EXPECT_EQ(quantize(0.5).multiplier, 1 << 30);
  EXPECT_EQ(quantize(0.5).shift, 0);
  EXPECT_EQ(quantize(1.0).multiplier, 1 << 30);
  EXPECT_EQ(quantize(1.0).shift, 1);
  EXPECT_EQ(quantize(0.75).multiplier, 1610612736);
  EXPECT_EQ(quantize(0.1).multiplier, 1717986918);  // round(0.8 * 2^31)
  EXPECT_EQ(quantize(0.1).shift, -3);
  EXPECT_EQ(quantize(3.0).multiplier, 1610612736);
  EXPECT_EQ(quantize(3.0).shift, 2);
}

TEST(QuantizeMultiplier, MantissaRoundingUpToOneBumpsTheShift) {
  const Quantized q = quantize(1.0 - std::ldexp(1.0, -40));
  EXPECT_EQ(q.multiplier, 1 << 30);
  EXPECT_EQ(q.shift, 1);
}

TEST(QuantizeMultiplier, ZeroAndTinyFlushToZero) {
  EXPECT_EQ(quantize(0.0).multiplier, 0);
  EXPECT_EQ(quantize(0.0).shift, 0);
  EXPECT_EQ(quantize(std::ldexp(1.0, -40)).multiplier, 0);
  EXPECT_EQ(quantize(std::ldexp(1.0, -40)).shift, 0);
}

TEST(QuantizeMultiplier, RangeCheckedVariants) {
  std::int32_t m = 0;
  int shift = 0;
  EXPECT_TRUE(quantize_multiplier_smaller_than_one_exp(0.25, &m, &shift));
  EXPECT_EQ(shift, -1);
  EXPECT_FALSE(quantize_multiplier_smaller_than_one_exp(1.5, &m, &shift));
  EXPECT_TRUE(quantize_multiplier_greater_than_one(1.5, &m, &shift));
  EXPECT_EQ(m, 1610612736);
  EXPECT_EQ(shift, 1);
  EXPECT_FALSE(quantize_multiplier_greater_than_one(0.5, &m, &shift));
}

TEST(FixedPointPrimitives, SaturatingRoundingDoublingHighMulRoundsTiesUp) {
  // x × 0.5 with x odd: ties go toward +infinity (gemmlowp's nudge), not away from zero.
  EXPECT_EQ(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(1000, 1717986918), 800);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX);
}

TEST(FixedPointPrimitives, RoundingDivideByPotRoundsHalfAwayFromZero) {
  EXPECT_EQ(rounding_divide_by_pot(3, 1), 2);
  EXPECT_EQ(rounding_divide_by_pot(-3, 1), -2);
  EXPECT_EQ(rounding_divide_by_pot(-5, 2), -1);
  EXPECT_EQ(rounding_divide_by_pot(6, 2), 2);
  EXPECT_EQ(rounding_divide_by_pot(5, 0), 5);
  EXPECT_EQ(rounding_divide_by_pot(std::int16_t{-3}, 1), -2);
}

TEST(FixedPointPrimitives, MultiplyByQuantizedMultiplierRoundsTwice) {
  // 3 × 0.125 = 0.375: the high-mul rounds 1.5 up to 2, the shift rounds 0.5 up to 1.
  // A single-rounding build (TFLITE_SINGLE_ROUNDING) would return 0.
  EXPECT_EQ(multiply_by_quantized_multiplier(3, 1 << 30, -2), 1);
  EXPECT_EQ(multiply_by_quantized_multiplier(1000, 1717986918, -3), 100);
  EXPECT_EQ(multiply_by_quantized_multiplier(-36, 1 << 30, -2), -5);  // -4.5 → -5
  EXPECT_EQ(multiply_by_quantized_multiplier(7, 1610612736, 2), 21);  // 7 × 3
}

TEST(FixedPointFunctions, ExpLogisticTanhAgreeWithLibm) {
  for (double v : {-0.01, -0.3, -1.0, -2.5, -7.9}) {
    const auto a = FixedPoint<5>::from_raw(static_cast<std::int32_t>(std::round(v * (1 << 26))));
    EXPECT_NEAR(exp_on_negative_values(a).raw / 2147483648.0, std::exp(v), 2e-6) << v;
  }
  for (double v : {-6.0, -1.0, -0.1, 0.0, 0.4, 3.0}) {
    const auto a = FixedPoint<4>::from_raw(static_cast<std::int32_t>(std::round(v * (1 << 27))));
    EXPECT_NEAR(fixed_point_logistic(a).raw / 2147483648.0, 1.0 / (1.0 + std::exp(-v)), 2e-6) << v;
    EXPECT_NEAR(fixed_point_tanh(a).raw / 2147483648.0, std::tanh(v), 4e-6) << v;
  }
  EXPECT_EQ(exp_on_negative_values(FixedPoint<5>::zero()).raw, INT32_MAX);
  EXPECT_EQ(fixed_point_logistic(FixedPoint<4>::zero()).raw, 1 << 30);
}

TEST(FixedPointFunctions, ReciprocalOfFixedPointSum) {
  int bits_over_unit = 0;
  // 2.5 in Q12.19 (11 leading zeros): 1/2.5 = 0.8 × 2^-1, so mantissa 0.8 and 1 bit over unit.
  const std::int32_t x = static_cast<std::int32_t>(2.5 * (1 << 19));
  const std::int32_t r = get_reciprocal(x, 12, &bits_over_unit);
  EXPECT_EQ(bits_over_unit, 1);
  EXPECT_NEAR(r / 2147483648.0 / std::ldexp(1.0, bits_over_unit), 1.0 / 2.5, 1e-6);
}

TEST(SoftmaxScaling, MultiplierAndRadius) {
  std::int32_t m = 0;
  int shift = 0;
  // beta 1, input scale 1/16: 2^26 / 16 = 2^22 → mantissa 0.5, shift 23.
  ASSERT_TRUE(preprocess_softmax_scaling(1.0, 1.0 / 16, 5, &m, &shift));
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(shift, 23);
  EXPECT_EQ(calculate_input_radius(5, 23), 31 * 8);  // 31 × 2^26 / 2^23
}

TEST(ActivationRange, Int8ClampsOfFusedActivations) {
  std::int32_t lo = 0, hi = 0;
  activation_range_int8(core::FusedActivation::none, 0.1f, 3, &lo, &hi);
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, 127);
  activation_range_int8(core::FusedActivation::relu, 0.1f, 3, &lo, &hi);
  EXPECT_EQ(lo, 3);
  EXPECT_EQ(hi, 127);
  activation_range_int8(core::FusedActivation::relu6, 0.05f, -128, &lo, &hi);
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, -8);  // -128 + round(6 / 0.05)
  activation_range_int8(core::FusedActivation::relu6, 0.01f, -100, &lo, &hi);
  EXPECT_EQ(hi, 127);  // 6.0 is beyond the int8 range: saturates
}

TEST(HardSwishHelpers, DownScaleToInt16) {
  EXPECT_EQ(down_scale_int32_to_int16_multiplier(1 << 30), 1 << 14);
  EXPECT_EQ(down_scale_int32_to_int16_multiplier(INT32_MAX), INT16_MAX);
  EXPECT_EQ(down_scale_int32_to_int16_multiplier((1 << 30) + (1 << 15)), (1 << 14) + 1);
}

}  // namespace
}  // namespace tinyscale::engine
