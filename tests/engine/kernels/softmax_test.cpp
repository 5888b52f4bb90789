#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(SoftmaxInt8, EqualInputsSplitEvenly) {
  // exp(0) = 1 each, sum 2: 0.5 = 128/256 → q 0.
  const KernelRun r = run_kernel(core::OpType::softmax, {int8_tensor({1, 2}, 0.1f, 0, {5, 5})}, {},
                                 int8_output(1.0f / 256, -128));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{0, 0}));
}

TEST(SoftmaxInt8, DifferencesBelowDiffMinVanish) {
  // Input scale 1, beta 1: multiplier 2^26 → left shift 27, radius floor(31 × 2^26 / 2^27) = 15.
  // -20 is below -15 → exactly -128; the max alone sums to 1 → 256 saturates to 127.
  const KernelRun r =
      run_kernel(core::OpType::softmax, {int8_tensor({1, 3}, 1.0f, 0, {0, -20, -16})}, {},
                 int8_output(1.0f / 256, -128));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{127, -128, -128}));
}

TEST(SoftmaxInt8, MatchesFloatKernelOnRandomRows) {
  std::mt19937 rng(21);
  for (float beta : {1.0f, 0.5f}) {
    core::Attributes a;
    a.softmax_beta = beta;
    property_vs_float(core::OpType::softmax, {int8_tensor({4, 12}, 0.1f, -3, random_int8(rng, 48))},
                      a, int8_output(1.0f / 256, -128), 1.0);
  }
}

TEST(SoftmaxInt8, PrepareRequiresTheFixedOutputQuantization) {
  const KernelRun r = run_kernel(core::OpType::softmax, {int8_tensor({1, 2}, 0.1f, 0, {1, 2})}, {},
                                 int8_output(1.0f / 128, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_NE(r.error.find("1/256"), std::string::npos) << r.error;
}

TEST(SoftmaxFloat, RowsSumToOne) {
  const KernelRun r = run_kernel(
      core::OpType::softmax, {float_tensor({2, 2}, {0, 0, 1, 1 + 0.6931472f})}, {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  const auto v = r.values<float>();
  EXPECT_FLOAT_EQ(v[0], 0.5f);
  EXPECT_NEAR(v[2], 1.0f / 3, 1e-6);
  EXPECT_NEAR(v[3], 2.0f / 3, 1e-6);
}

}  // namespace
}  // namespace tinyscale::engine::testing
