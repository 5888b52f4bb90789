#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

// The int8 arithmetic is TFLite Micro's QuantizedMeanOrSum (engine/kernels/global_avg_pool.cpp):
// (m, s) = QuantizeMultiplier(input_scale / output_scale); k = floor(log2 N);
// m' = (m << k) / N, s' = s - k; out = MBQM(Σ(q - input_zp), m', s') + output_zp, where
// MBQM(x, m, s) = RoundingDivideByPOT(SRDHM(x << max(s, 0), m), max(-s, 0)); SRDHM(x, m) is
// x·m / 2^31 rounded to nearest with ties upward (gemmlowp's nudge), RoundingDivideByPOT
// rounds ties away from zero. The older integer Mean tinyscale followed before
// (reference_integer_ops::Mean) computed MBQM(Σ, m, s) first and then divided by N rounding
// half away from zero. The first four cases are ones where the two disagree. Every expected
// value below is also what TFLite Micro (90b983c2, tools/tflm/host/tflm_run, reference
// kernels) outputs for a one-MEAN .tflite with these shapes, quantizations and inputs.

TEST(GlobalAvgPoolInt8, ScaleRatioAboveOneRoundsTwice) {
  // input scale 3, output scale 2 (ratio 1.5 = 0.75·2^1: m = 0.75·2^31 = 1610612736, s = 1);
  // 2x2 input, N = 4, k = 2: m' = (m << 2) / 4 = m, s' = -1. Σ(q - zp) = 1+2+1+2 = 6.
  //   new: SRDHM(6, m) = round(4.5) = 5; RoundingDivideByPOT(5, 1) = round(2.5) = 3 → 3 + 0.
  //   old: MBQM(6, m, 1) = SRDHM(12, m) = 9; 9 / 4 = 2.25 → 2.
  // (The exact mean, 6 · 1.5 / 4 = 2.25, is 2: TFLite Micro's double rounding gives 3.)
  const TensorSpec x = int8_tensor({1, 2, 2, 1}, 3.0f, 0, {1, 2, 1, 2});
  const KernelRun r = run_kernel(core::OpType::global_avg_pool, {x}, {}, int8_output(2.0f, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{3}));
}

TEST(GlobalAvgPoolInt8, NegativeSumWithNonPowerOfTwoCount) {
  // input scale 1, output scale 2 (ratio 0.5: m = 2^30, s = 0); 1x6 input, N = 6, k = 2:
  // m' = 2^32 / 6 = 715827882 (truncated), s' = -2. Σ(q - zp) with zp = 4: -5.
  //   new: SRDHM(-5, 715827882) = round(-1.6667) = -2; RoundingDivideByPOT(-2, 2) =
  //        round(-0.5) = -1 → -1 + 7 = 6.
  //   old: MBQM(-5, 2^30, 0) = SRDHM(-5, 2^30) = trunc((-5·2^30 + 1 - 2^30) / 2^31) =
  //        trunc(-2.9999999995) = -2 (the tie -2.5 goes up); -2 / 6 = -0.33 → 0 → 0 + 7 = 7.
  // (Exact: -5 · 0.5 / 6 = -0.417, which rounds to 0: 7.)
  const TensorSpec x = int8_tensor({1, 1, 6, 1}, 1.0f, 4, {4, 3, 2, 4, 3, 3});
  const KernelRun r = run_kernel(core::OpType::global_avg_pool, {x}, {}, int8_output(2.0f, 7));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{6}));
}

TEST(GlobalAvgPoolInt8, ZeroPointsAndScaleRatioBelowOne) {
  // input scale 1, zp -3; output scale 4, zp 10 (ratio 0.25: m = 2^30, s = -1); 2x3 input,
  // N = 6, k = min(2, 31 + s) = 2: m' = 715827882, s' = -3. Σ(q - zp) = Σq + 18 = 9.
  //   new: SRDHM(9, 715827882) = round(2.99999999) = 3; RoundingDivideByPOT(3, 3) =
  //        round(0.375) = 0 → 10.
  //   old: SRDHM(9, 2^30) = round(4.5) = 5, RoundingDivideByPOT(5, 1) = round(2.5) = 3;
  //        3 / 6 = 0.5 → 1 → 11.
  // (Exact: 9 · 0.25 / 6 = 0.375 → 0: here the new formula is the right one.)
  const TensorSpec x = int8_tensor({1, 2, 3, 1}, 1.0f, -3, {-1, 0, -2, -1, -3, -2});
  const KernelRun r = run_kernel(core::OpType::global_avg_pool, {x}, {}, int8_output(4.0f, 10));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{10}));
}

TEST(GlobalAvgPoolInt8, EqualScalesTakeTheSamePath) {
  // TFLite Micro uses QuantizedMeanOrSum for equal quantizations too. Scale 1 on both sides
  // (m = 2^30, s = 1), 2x2 input, N = 4, k = 2: m' = 2^30, s' = -1; two channels, zp 3.
  //   channel 0: Σ(q - zp) = 1 → SRDHM(1, 2^30) = round(0.5) = 1, RoundingDivideByPOT(1, 1)
  //              = round(0.5) = 1 → 4 (old: MBQM(1, 2^30, 1) = 1; 1 / 4 → 0 → 3).
  //   channel 1: Σ(q - zp) = -6 → SRDHM(-6, 2^30) = -3, RoundingDivideByPOT(-3, 1) =
  //              round(-1.5) = -2 → 1 (old: -6 / 4 = -1.5 → -2 → 1: both agree).
  const TensorSpec x = int8_tensor({1, 2, 2, 2}, 1.0f, 3, {4, 0, 3, 0, 3, 3, 3, 3});
  const KernelRun r = run_kernel(core::OpType::global_avg_pool, {x}, {}, int8_output(1.0f, 3));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{4, 1}));
}

TEST(GlobalAvgPoolInt8, SaturatesToInt8) {
  // 1x1 input (N = 1, k = 0, m' = m): the output scale is a quarter of the input's, so
  // 100 (zp 0) becomes 400 → 127, and -100 → -400 → -128.
  const TensorSpec x = int8_tensor({1, 1, 1, 2}, 1.0f, 0, {100, -100});
  const KernelRun r = run_kernel(core::OpType::global_avg_pool, {x}, {}, int8_output(0.25f, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{127, -128}));
}

TEST(GlobalAvgPoolInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(9);
  property_vs_float(core::OpType::global_avg_pool,
                    {int8_tensor({2, 5, 6, 16}, 0.1f, -10, random_int8(rng, 960))}, {},
                    int8_output(0.02f, -5), 1.0);
}

TEST(GlobalAvgPoolFloat, MeanOverHeightAndWidth) {
  const KernelRun r =
      run_kernel(core::OpType::global_avg_pool, {float_tensor({1, 1, 3, 2}, {1, 10, 2, 20, 6, 60})},
                 {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{3, 30}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
