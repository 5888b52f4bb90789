// The device kernel conv2d_s8 called directly on hand-made params (no graph, no engine):
// small cases whose outputs were computed by hand.
#include "engine/kernels/device/conv2d.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<Conv2dS8Params>, "a code generator prints params as an initializer");

TEST(DeviceConv2dS8, TwoByTwoWindowWithInputOffsetBiasAndHalfMultiplier) {
  // Input 3x3x1 = 1..9 with zero point -1 (input_offset +1: values 2..10); weights 2x2 of
  // ones; bias 10; multiplier 0.5 (2^30, shift 0); output zero point -3.
  const std::int8_t input[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::int8_t weights[4] = {1, 1, 1, 1};
  const std::int32_t bias[1] = {10};
  const std::int32_t multipliers[1] = {1 << 30};
  const std::int8_t shifts[1] = {0};
  const Conv2dS8Params p = {/*batches*/ 1, /*in*/ 3, 3, 1, /*out*/ 2, 2, 1,
                            /*kernel*/ 2, 2, /*stride*/ 1, 1, /*dilation*/ 1, 1, /*pad*/ 0, 0,
                            /*per group*/ 1, 1, /*input_offset*/ 1, /*output_offset*/ -3,
                            /*act*/ -128, 127, /*requant_channels*/ 1, multipliers, shifts};
  std::array<std::int8_t, 4> output{};
  conv2d_s8(p, input, weights, bias, output.data(), nullptr);
  // (2+3+5+6 + 10) / 2 - 3 = 10;  (3+4+6+7 + 10) / 2 - 3 = 12;  ...
  EXPECT_EQ(output, (std::array<std::int8_t, 4>{10, 12, 16, 18}));
  EXPECT_EQ(conv2d_s8_scratch_bytes(p), 0);
}

TEST(DeviceConv2dS8, DepthwiseSamePaddingPerChannelRoundingAndClamp) {
  // Input 2x2x2; depthwise 3x3, pad 1: channel 0 sums its whole input (weights all 1, x1),
  // channel 1 doubles the centre pixel then x0.25 (2^30, shift -1); act range [-25, 12].
  const std::int8_t input[8] = {1, 10, 2, -20, 3, 30, 4, -41};  // [y][x][c]
  std::int8_t weights[18] = {};  // [c][ky][kx][1]
  for (int i = 0; i < 9; ++i) weights[i] = 1;
  weights[9 + 4] = 2;
  const std::int32_t bias[2] = {0, 0};
  const std::int32_t multipliers[2] = {1 << 30, 1 << 30};
  const std::int8_t shifts[2] = {1, -1};
  const Conv2dS8Params p = {1, 2, 2, 2, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1,
                            /*in_c_per_group*/ 1, /*out_c_per_group*/ 1, 0, 0,
                            -25, 12, 2, multipliers, shifts};
  std::array<std::int8_t, 8> output{};
  conv2d_s8(p, input, weights, bias, output.data(), nullptr);
  // Channel 1: 20/4 = 5; -40/4 = -10; 60/4 = 15 -> 12 (clamp); -82/4 = -20.5 -> -21 (ties
  // away from zero).
  EXPECT_EQ(output, (std::array<std::int8_t, 8>{10, 5, 10, -10, 10, 12, 10, -21}));
}

TEST(DeviceConv2dS8, NullBiasAndStrideTwo) {
  // Input 1x4x1 = 0..3, kernel 1x1 weight 3, stride 2: picks x = 0 and 2; multiplier 1.
  const std::int8_t input[4] = {0, 1, 2, 3};
  const std::int8_t weights[1] = {3};
  const std::int32_t multipliers[1] = {1 << 30};
  const std::int8_t shifts[1] = {1};
  const Conv2dS8Params p = {1, 1, 4, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 0, 0, 1, 1, 0, 0,
                            -128, 127, 1, multipliers, shifts};
  std::array<std::int8_t, 2> output{};
  conv2d_s8(p, input, weights, nullptr, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 2>{0, 6}));
}

}  // namespace
}  // namespace tinyscale::device
