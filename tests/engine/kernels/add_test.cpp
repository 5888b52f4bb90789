#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(AddInt8, DifferentInputScalesBroadcastOverChannels) {
  // a (scale 0.5) = {0.5, -0.5 | 1.5, 0}; b (scale 0.25, broadcast) = {0, -0.5}; output scale 1:
  // sums {0.5, -1, 1.5, -0.5} → {1, -1, 2, -1}: halves round away from zero.
  const KernelRun r = run_kernel(core::OpType::add,
                                 {int8_tensor({1, 1, 2, 2}, 0.5f, 0, {1, -1, 3, 0}),
                                  int8_tensor({1, 1, 1, 2}, 0.25f, 0, {0, -2})},
                                 {}, int8_output(1.0f, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{1, -1, 2, -1}));
}

TEST(AddInt8, FusedReluClampsAtTheOutputZeroPoint) {
  core::Attributes a;
  a.fused_activation = core::FusedActivation::relu;
  const KernelRun r = run_kernel(
      core::OpType::add,
      {int8_tensor({1, 3}, 0.1f, 2, {12, -30, 2}), int8_tensor({1, 3}, 0.1f, 2, {2, 2, 52})}, a,
      int8_output(0.2f, -4));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{1, -4, 21}));  // {1.0, -3.2 → 0, 5.0}
}

TEST(AddInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(13);
  property_vs_float(core::OpType::add,
                    {int8_tensor({1, 4, 5, 6}, 0.07f, -4, random_int8(rng, 120)),
                     int8_tensor({1, 1, 1, 6}, 0.02f, 9, random_int8(rng, 6))},
                    {}, int8_output(0.09f, -2), 1.0);
  property_vs_float(core::OpType::add,
                    {int8_tensor({2, 3, 1, 4}, 0.3f, 0, random_int8(rng, 24)),
                     int8_tensor({2, 1, 5, 1}, 0.3f, 0, random_int8(rng, 10))},
                    {}, int8_output(0.6f, 0), 1.0);
}

TEST(AddInt8, PrepareRejectsMissingQuantization) {
  const KernelRun r =
      run_kernel(core::OpType::add,
                 {int8_tensor({1, 2}, 0.5f, 0, {1, 2}), int8_tensor({1, 2}, 0.5f, 0, {1, 2})}, {},
                 {core::DType::int8, {}, std::nullopt});
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_FALSE(r.error.empty());
}

TEST(AddFloat, BroadcastsAndClampsRelu6) {
  core::Attributes a;
  a.fused_activation = core::FusedActivation::relu6;
  const KernelRun r = run_kernel(
      core::OpType::add, {float_tensor({1, 2, 2}, {1, 2, 3, 4}), float_tensor({2}, {-5, 3})}, a,
      float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{0, 5, 0, 6}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
