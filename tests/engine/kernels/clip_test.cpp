#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(ClipInt8, Relu6BoundsInTheInputScale) {
  // Scale 0.1, zp -10: 0 → -10, 6 → 50.
  const KernelRun r =
      run_kernel(core::OpType::clip, {int8_tensor({4}, 0.1f, -10, {-50, 0, 40, 100})}, {},
                 int8_output(0.1f, -10));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-10, 0, 40, 50}));
}

TEST(ClipInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(23);
  core::Attributes a;
  a.clip_min = -1.0f;
  a.clip_max = 2.5f;
  property_vs_float(core::OpType::clip, {int8_tensor({2, 30}, 0.05f, 3, random_int8(rng, 60))}, a,
                    int8_output(0.05f, 3), 0.5);
}

TEST(ClipInt8, PrepareRejectsRequantization) {
  const KernelRun r =
      run_kernel(core::OpType::clip, {int8_tensor({1}, 0.1f, 0, {1})}, {}, int8_output(0.2f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
}

TEST(ClipFloat, GeneralBounds) {
  core::Attributes a;
  a.clip_min = -1.0f;
  a.clip_max = 1.0f;
  const KernelRun r =
      run_kernel(core::OpType::clip, {float_tensor({3}, {-3, 0.5f, 7})}, a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{-1, 0.5f, 1}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
