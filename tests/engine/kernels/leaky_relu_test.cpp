#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(LeakyReluInt8, SeparateMultipliersForEachSide) {
  // alpha 0.1, scale 1 → 0.5: negative side × 0.2 ({-25, -13} → {-5, -2.6 → -3}),
  // positive side × 2 (10 → 20).
  core::Attributes a;
  a.leaky_alpha = 0.1f;
  const KernelRun r =
      run_kernel(core::OpType::leaky_relu, {int8_tensor({3}, 1.0f, 0, {-25, -13, 10})}, a,
                 int8_output(0.5f, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-5, -3, 20}));
}

TEST(LeakyReluInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(29);
  core::Attributes a;
  a.leaky_alpha = 0.2f;
  property_vs_float(core::OpType::leaky_relu,
                    {int8_tensor({1, 64}, 0.04f, 5, random_int8(rng, 64))}, a,
                    int8_output(0.03f, 20), 1.0);  // double rounding: up to 0.75 steps
}

TEST(LeakyReluFloat, ScalesNegatives) {
  core::Attributes a;
  a.leaky_alpha = 0.5f;
  const KernelRun r =
      run_kernel(core::OpType::leaky_relu, {float_tensor({2}, {-2, 3})}, a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{-1, 3}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
