#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(ConcatInt8, SameQuantizationCopiesAlongChannels) {
  const KernelRun r = run_kernel(core::OpType::concat,
                                 {int8_tensor({1, 2, 1, 1}, 0.5f, 1, {1, 2}),
                                  int8_tensor({1, 2, 1, 2}, 0.5f, 1, {3, 4, 5, 6})},
                                 {}, int8_output(0.5f, 1));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{1, 3, 4, 2, 5, 6}));
}

TEST(ConcatInt8, RefusesAnInputWithAnotherScale) {
  // TFLite refuses the model (kernels/concatenation.cc); TFLite Micro would copy unscaled.
  const KernelRun r =
      run_kernel(core::OpType::concat,
                 {int8_tensor({1, 2}, 0.5f, 0, {2, -3}), int8_tensor({1, 2}, 1.0f, 0, {1, -1})}, {},
                 int8_output(1.0f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_NE(r.error.find("output's scale"), std::string::npos) << r.error;
}

TEST(ConcatFloat, OuterAxis) {
  core::Attributes a;
  a.axis = 0;
  const KernelRun r = run_kernel(core::OpType::concat,
                                 {float_tensor({1, 2}, {1, 2}), float_tensor({2, 2}, {3, 4, 5, 6})},
                                 a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(ConcatInt8, PrepareRejectsFloatInput) {
  const KernelRun r = run_kernel(core::OpType::concat,
                                 {int8_tensor({1, 1}, 0.5f, 0, {1}), float_tensor({1, 1}, {1})}, {},
                                 int8_output(0.5f, 0));
  EXPECT_EQ(r.prepare_status, Status::unsupported_op);
}

}  // namespace
}  // namespace tinyscale::engine::testing
