#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

core::Attributes pool(int kernel, int stride, int pad = 0) {
  core::Attributes a;
  a.kernel_h = a.kernel_w = kernel;
  a.stride_h = a.stride_w = stride;
  a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = pad;
  return a;
}

TEST(AvgPoolInt8, RoundsHalfAwayFromZero) {
  // Windows: {1,2,1,2} = 1.5 → 2; {-1,-2,-1,-2} = -1.5 → -2 (floor(x + 0.5) would give -1);
  // {1,2,2,2} = 1.75 → 2; {0,0,0,-1} = -0.25 → 0.
  const KernelRun r = run_kernel(
      core::OpType::avg_pool,
      {int8_tensor({1, 2, 2, 4}, 0.5f, 3, {1, -1, 1, 0, 2, -2, 2, 0, 1, -1, 2, 0, 2, -2, 2, -1})},
      pool(2, 2), int8_output(0.5f, 3));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{2, -2, 2, 0}));
}

TEST(AvgPoolInt8, PaddedCellsAreNotCounted) {
  // 3x3 window, padding 1, on a 2x2 input: every window sees the 4 input cells → mean 25.
  const KernelRun r =
      run_kernel(core::OpType::avg_pool, {int8_tensor({1, 2, 2, 1}, 1.0f, -128, {10, 20, 30, 40})},
                 pool(3, 1, 1), int8_output(1.0f, -128));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{25, 25, 25, 25}));
}

TEST(AvgPoolInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(3);
  core::Attributes a = pool(3, 2, 1);
  a.pad_right = 0;
  property_vs_float(core::OpType::avg_pool,
                    {int8_tensor({2, 7, 8, 5}, 0.1f, -20, random_int8(rng, 560))}, a,
                    int8_output(0.1f, -20), 0.5);
}

TEST(AvgPoolInt8, PrepareRejectsRequantization) {
  const KernelRun r =
      run_kernel(core::OpType::avg_pool, {int8_tensor({1, 2, 2, 1}, 1.0f, 0, {1, 2, 3, 4})},
                 pool(2, 2), int8_output(0.5f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_NE(r.error.find("share quantization"), std::string::npos) << r.error;
}

TEST(AvgPoolFloat, AveragesInImageCells) {
  const KernelRun r = run_kernel(core::OpType::avg_pool, {float_tensor({1, 2, 2, 1}, {1, 2, 3, 5})},
                                 pool(2, 1, 1), float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{1, 1.5f, 2, 2, 2.75f, 3.5f, 3, 4, 5}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
