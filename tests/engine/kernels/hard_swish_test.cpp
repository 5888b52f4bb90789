#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(HardSwishInt8, ZeroAndBelowMinusThreeGiveTheZeroPoint) {
  // Scale 0.1, zp 0: -5.0 and -3.5 (reluish saturates at -1 → 0) and 0 map to exactly zp.
  const KernelRun r =
      run_kernel(core::OpType::hard_swish, {int8_tensor({3}, 0.1f, 0, {-50, -35, 0})}, {},
                 int8_output(0.05f, -7));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-7, -7, -7}));
}

TEST(HardSwishInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(31);
  // Input range about [-6.4, 6.4] covers both saturated sides and the quadratic middle.
  property_vs_float(core::OpType::hard_swish,
                    {int8_tensor({1, 256}, 0.05f, 0, random_int8(rng, 256))}, {},
                    int8_output(0.03f, -60), 1.0);
  property_vs_float(core::OpType::hard_swish,
                    {int8_tensor({1, 256}, 0.2f, 30, random_int8(rng, 256))}, {},
                    int8_output(0.1f, -100), 1.0);
}

TEST(HardSwishFloat, PiecewiseDefinition) {
  const KernelRun r = run_kernel(core::OpType::hard_swish, {float_tensor({4}, {-4, -1.5f, 1, 5})},
                                 {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{-0.0f, -0.375f, 4.0f / 6, 5}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
