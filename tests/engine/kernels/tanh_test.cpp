#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(TanhInt8, CentreAndSaturation) {
  const KernelRun r = run_kernel(core::OpType::tanh, {int8_tensor({3}, 0.1f, 5, {5, 127, -118})},
                                 {}, int8_output(1.0f / 128, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{0, 127, -128}));
}

TEST(TanhInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(41);
  property_vs_float(core::OpType::tanh, {int8_tensor({1, 200}, 0.03f, 10, random_int8(rng, 200))},
                    {}, int8_output(1.0f / 128, 0), 1.0);
}

TEST(TanhInt8, PrepareRequiresTheFixedOutputQuantization) {
  const KernelRun r = run_kernel(core::OpType::tanh, {int8_tensor({1}, 0.1f, 0, {1})}, {},
                                 int8_output(1.0f / 256, -128));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
}

TEST(TanhFloat, Values) {
  const KernelRun r =
      run_kernel(core::OpType::tanh, {float_tensor({2}, {0, -1})}, {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_NEAR(r.values<float>()[1], -0.761594f, 1e-6);
}

}  // namespace
}  // namespace tinyscale::engine::testing
