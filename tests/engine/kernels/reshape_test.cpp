#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(ReshapeInt8, CopiesBytesUnchanged) {
  core::Attributes a;
  a.new_shape = {1, -1};
  const KernelRun r =
      run_kernel(core::OpType::reshape, {int8_tensor({1, 2, 1, 3}, 0.5f, -3, {1, 2, 3, 4, 5, -6})},
                 a, int8_output(0.5f, -3));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.output_shape, (core::Shape{1, 6}));
  EXPECT_EQ(r.values<std::int8_t>(), (I8{1, 2, 3, 4, 5, -6}));
}

TEST(ReshapeInt8, PrepareRejectsQuantizationChange) {
  core::Attributes a;
  a.new_shape = {2};
  const KernelRun r = run_kernel(core::OpType::reshape, {int8_tensor({1, 2}, 0.5f, 0, {1, 2})}, a,
                                 int8_output(0.25f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_FALSE(r.error.empty());
}

TEST(ReshapeFloat, CopiesValues) {
  core::Attributes a;
  a.new_shape = {3, 1};
  const KernelRun r =
      run_kernel(core::OpType::reshape, {float_tensor({1, 3}, {1.5f, -2, 3})}, a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{1.5f, -2, 3}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
