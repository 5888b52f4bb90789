#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

TEST(DequantizeInt8, ScaleTimesOffsetValue) {
  const KernelRun r = run_kernel(core::OpType::dequantize,
                                 {int8_tensor({3}, 0.5f, -3, {-3, 0, 127})}, {}, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{0, 1.5f, 65}));
}

TEST(DequantizeInt8, PrepareRejectsInt8Output) {
  const KernelRun r = run_kernel(core::OpType::dequantize, {int8_tensor({1}, 0.5f, 0, {1})}, {},
                                 int8_output(0.5f, 0));
  EXPECT_EQ(r.prepare_status, Status::unsupported_op);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace tinyscale::engine::testing
