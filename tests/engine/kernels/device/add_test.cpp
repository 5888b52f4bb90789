// The device kernels add_s8 and mul_s8 (broadcasting binary ops) called directly on
// hand-made params.
#include "engine/kernels/device/add.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

#include "engine/kernels/device/mul.h"

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<AddS8Params>);
static_assert(std::is_aggregate_v<MulS8Params>);

TEST(DeviceAddS8, EqualScalesBroadcastOverChannelsWithOffsetAndClamp) {
  // All scales equal: each input x 0.5 (2^30, shift 0) into 2 x max scale, the sum x 2^-19
  // (2^30, shift -18) back: out = a + b (+ output zero point 1), clamped to [-128, 12].
  // a [1,1,2,2] + b [2] (broadcast over the pixels).
  const std::int8_t a[4] = {1, 2, 3, 4};
  const std::int8_t b[2] = {10, -20};
  const AddS8Params p = {{{1, 1, 2, 2}, {4, 4, 2, 1}, {0, 0, 0, 1}},
                         0, 0, /*output_offset*/ 1,
                         1 << 30, 1 << 30, 1 << 30, 0, 0, -18, -128, 12};
  std::array<std::int8_t, 4> output{};
  add_s8(p, a, b, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 4>{12, -17, 12, -15}));  // 14 -> 12
  EXPECT_EQ(add_s8_scratch_bytes(p), 0);
}

TEST(DeviceMulS8, ScalarBroadcastDoubleRoundingAndOffsets) {
  // (a + 1) x 3 x 0.25 (2^30, shift -1) - 10. TFLite's double rounding: 9 x 0.25 = 2.25 is
  // 4.5 -> 5 after the high multiply, then 2.5 -> 3.
  const std::int8_t a[3] = {2, 4, -6};
  const std::int8_t b[1] = {3};
  const MulS8Params p = {{{1, 1, 1, 3}, {3, 3, 3, 1}, {0, 0, 0, 0}},
                         /*input1_offset*/ 1, 0, /*output_offset*/ -10, 1 << 30, -1, -128, 127};
  std::array<std::int8_t, 3> output{};
  mul_s8(p, a, b, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 3>{-7, -6, -14}));
  EXPECT_EQ(mul_s8_scratch_bytes(p), 0);
}

}  // namespace
}  // namespace tinyscale::device
