#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

core::Attributes pads(int top, int bottom, int left, int right) {
  core::Attributes a;
  a.pad_top = top;
  a.pad_bottom = bottom;
  a.pad_left = left;
  a.pad_right = right;
  return a;
}

TEST(PadInt8, PadsWithTheZeroPoint) {
  const KernelRun r = run_kernel(core::OpType::pad, {int8_tensor({1, 1, 2, 1}, 0.5f, -7, {3, 4})},
                                 pads(1, 0, 0, 1), int8_output(0.5f, -7));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.output_shape, (core::Shape{1, 2, 3, 1}));
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-7, -7, -7, 3, 4, -7}));
}

TEST(PadInt8, NonZeroPadValueIsQuantized) {
  core::Attributes a = pads(0, 0, 1, 0);
  a.pad_value = 1.0f;
  const KernelRun r = run_kernel(core::OpType::pad, {int8_tensor({1, 1, 1, 2}, 0.5f, -7, {3, 4})},
                                 a, int8_output(0.5f, -7));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-5, -5, 3, 4}));
}

TEST(PadFloat, Channels) {
  const KernelRun r = run_kernel(core::OpType::pad, {float_tensor({1, 1, 1, 2}, {1, 2})},
                                 pads(0, 1, 0, 0), float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(), (std::vector<float>{1, 2, 0, 0}));
}

}  // namespace
}  // namespace tinyscale::engine::testing
