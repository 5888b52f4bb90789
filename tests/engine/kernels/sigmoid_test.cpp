#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(SigmoidInt8, CentreAndSaturation) {
  // Scale 0.1, zp 5: 0 → 0.5 = 128/256 → q 0; ±12.3 lie beyond the input radius → ±saturate.
  const KernelRun r = run_kernel(core::OpType::sigmoid, {int8_tensor({3}, 0.1f, 5, {5, 127, -118})},
                                 {}, int8_output(1.0f / 256, -128));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{0, 127, -128}));
}

TEST(SigmoidInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(37);
  property_vs_float(core::OpType::sigmoid,
                    {int8_tensor({1, 200}, 0.06f, -3, random_int8(rng, 200))}, {},
                    int8_output(1.0f / 256, -128), 1.0);
}

TEST(SigmoidInt8, PrepareRequiresTheFixedOutputQuantization) {
  const KernelRun r =
      run_kernel(core::OpType::sigmoid, {int8_tensor({1}, 0.1f, 0, {1})}, {}, int8_output(0.5f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_NE(r.error.find("1/256"), std::string::npos) << r.error;
}

TEST(SigmoidInt8, PrepareRefusesAnInputScaleBelowTwoToTheMinus28) {
  // TFLite Micro would shift by a negative count here (every input saturates on x86);
  // TFLite's interpreter gives 0.5. Refused rather than imitated.
  KernelRun r = run_kernel(core::OpType::sigmoid, {int8_tensor({1}, 3.6e-10f, 0, {100})}, {},
                           int8_output(1.0f / 256, -128));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_NE(r.error.find("2^-28"), std::string::npos) << r.error;
  r = run_kernel(core::OpType::sigmoid, {int8_tensor({1}, 4.0e-9f, 0, {100})}, {},
                 int8_output(1.0f / 256, -128));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{0}));  // 4e-7 → 0.5
}

TEST(SigmoidFloat, Values) {
  const KernelRun r =
      run_kernel(core::OpType::sigmoid, {float_tensor({2}, {0, 2})}, {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_FLOAT_EQ(r.values<float>()[0], 0.5f);
  EXPECT_NEAR(r.values<float>()[1], 0.880797f, 1e-6);
}

}  // namespace
}  // namespace tinyscale::engine::testing
