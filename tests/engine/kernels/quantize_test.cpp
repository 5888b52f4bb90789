#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

TEST(QuantizeFloat, RoundsHalfAwayFromZeroAndSaturates) {
  const KernelRun r =
      run_kernel(core::OpType::quantize, {float_tensor({5}, {0.25f, -0.25f, 0.75f, 1000, -1000})},
                 {}, int8_output(0.5f, 1));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{2, 0, 3, 127, -128}));
}

TEST(QuantizeInt8, RequantizesWithTheFixedPointMultiplier) {
  // × 0.5: 1.5 → 2 but -1.5 → -1 (the high-mul rounds ties up), 0.5 → 1; output zp 5.
  const KernelRun r = run_kernel(core::OpType::quantize, {int8_tensor({3}, 0.5f, 0, {3, -3, 1})},
                                 {}, int8_output(1.0f, 5));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{7, 4, 6}));
}

TEST(QuantizeFloat, PrepareNeedsOutputQuantization) {
  const KernelRun r = run_kernel(core::OpType::quantize, {float_tensor({1}, {1})}, {},
                                 {core::DType::int8, {}, std::nullopt});
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace tinyscale::engine::testing
