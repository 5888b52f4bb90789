#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(MaxPoolInt8, PaddingNeverWins) {
  // All inputs below the zero point: padded cells must not contribute the zero point.
  core::Attributes a;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = 1;
  const KernelRun r =
      run_kernel(core::OpType::max_pool, {int8_tensor({1, 2, 2, 1}, 1.0f, 0, {-50, -40, -30, -20})},
                 a, int8_output(1.0f, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-20, -20, -20, -20}));
}

TEST(MaxPoolInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(5);
  core::Attributes a;
  a.kernel_h = 2;
  a.kernel_w = 3;
  a.stride_h = a.stride_w = 2;
  a.pad_left = 1;
  property_vs_float(core::OpType::max_pool,
                    {int8_tensor({1, 8, 9, 3}, 0.2f, 7, random_int8(rng, 216))}, a,
                    int8_output(0.2f, 7), 0.0);
}

TEST(MaxPoolFloat, FusedReluClamps) {
  core::Attributes a;
  a.kernel_h = a.kernel_w = 2;
  a.stride_h = a.stride_w = 2;
  a.fused_activation = core::FusedActivation::relu;
  const KernelRun r =
      run_kernel(core::OpType::max_pool,
                 {float_tensor({1, 2, 2, 2}, {-1, 3, -2, -8, -0.5f, 1, -4, 2})}, a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{0, 3}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
