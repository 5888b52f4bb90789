#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(ResizeNearestInt8, RepeatsEachPixel) {
  core::Attributes a;
  a.scale_h = 2;
  a.scale_w = 3;
  const KernelRun r =
      run_kernel(core::OpType::resize_nearest, {int8_tensor({1, 1, 2, 1}, 0.5f, 0, {7, -8})}, a,
                 int8_output(0.5f, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{7, 7, 7, -8, -8, -8, 7, 7, 7, -8, -8, -8}));
}

TEST(ResizeNearestFloat, TwoByTwoToFourByFour) {
  core::Attributes a;
  const KernelRun r = run_kernel(core::OpType::resize_nearest,
                                 {float_tensor({1, 2, 2, 1}, {1, 2, 3, 4})}, a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<float>(),
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(ResizeNearestInt8, PrepareRejectsWrongOutputShape) {
  OutputSpec out = int8_output(0.5f, 0);
  out.shape = core::Shape{1, 3, 3, 1};
  const KernelRun r =
      run_kernel(core::OpType::resize_nearest, {int8_tensor({1, 1, 1, 1}, 0.5f, 0, {1})}, {}, out);
  EXPECT_EQ(r.prepare_status, Status::invalid_model);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace tinyscale::engine::testing
