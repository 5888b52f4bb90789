#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(MulInt8, SqueezeExciteGate) {
  // x (scale 0.5, zp 1) = {2, 1 | -1, 0}; gate (sigmoid output, 1/256, -128) = {0.5, 0.99609}.
  // Products {1, 0.996 | -0.5, 0} in output scale 0.5, zp 1 → {3, 3 | 0, 1}.
  const KernelRun r = run_kernel(core::OpType::mul,
                                 {int8_tensor({1, 2, 1, 2}, 0.5f, 1, {5, 3, -1, 1}),
                                  int8_tensor({1, 1, 1, 2}, 1.0f / 256, -128, {0, 127})},
                                 {}, int8_output(0.5f, 1));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{3, 3, 0, 1}));
}

TEST(MulInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(17);
  core::Attributes a;
  a.fused_activation = core::FusedActivation::relu6;
  property_vs_float(core::OpType::mul,
                    {int8_tensor({1, 3, 4, 8}, 0.05f, -20, random_int8(rng, 96)),
                     int8_tensor({1, 1, 1, 8}, 1.0f / 256, -128, random_int8(rng, 8))},
                    a, int8_output(0.03f, -100), 1.0);
}

TEST(MulFloat, Broadcasts) {
  const KernelRun r = run_kernel(
      core::OpType::mul, {float_tensor({2, 2}, {1, 2, 3, 4}), float_tensor({2, 1}, {10, -1})}, {},
      float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{10, 20, -3, -4}));
}

TEST(MulInt8, PrepareRejectsFloatSecondInput) {
  const KernelRun r = run_kernel(
      core::OpType::mul, {int8_tensor({1, 2}, 0.5f, 0, {1, 2}), float_tensor({1, 2}, {1, 2})}, {},
      int8_output(0.5f, 0));
  EXPECT_EQ(r.prepare_status, Status::unsupported_op);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace tinyscale::engine::testing
