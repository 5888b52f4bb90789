#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(GlobalAvgPoolInt8, RescalesThenDividesWithRounding) {
  // Channel 0: q - zp = {1,2,2,2}, sum 7; channel 1: {-3,-3,0,0}, sum -6.
  // Same scale: 7/4 = 1.75 → 2 and -1.5 → -2. Output scale ×2: MBQM(7, 0.5) = 4 → 4/4 = 1;
  // MBQM(-6, 0.5) = -3 (the high-mul rounds -3.5 up) → -3/4 → -1.
  const TensorSpec x = int8_tensor({1, 2, 2, 2}, 1.0f, 3, {4, 0, 5, 0, 5, 3, 5, 3});
  KernelRun r = run_kernel(core::OpType::global_avg_pool, {x}, {}, int8_output(1.0f, 3));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{5, 1}));
  r = run_kernel(core::OpType::global_avg_pool, {x}, {}, int8_output(2.0f, -1));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{0, -2}));
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
