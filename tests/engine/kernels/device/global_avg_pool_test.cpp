// The device kernels global_avg_pool_s8 and reshape_s8 called directly on hand-made params.
#include "engine/kernels/device/global_avg_pool.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

#include "engine/kernels/device/reshape.h"

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<GlobalAvgPoolS8Params>);
static_assert(std::is_aggregate_v<ReshapeS8Params>);

TEST(DeviceGlobalAvgPoolS8, MeanPerChannelWithZeroPointsAndRounding) {
  // 1x2x2x2; multiplier 2^30 with shift -1 is x1/4 = 1/(H·W) (scales equal).
  const std::int8_t input[8] = {1, -4, 2, -4, 3, -4, 4, -4};
  const GlobalAvgPoolS8Params p = {1, 2, 2, 2, /*input zp*/ 0, /*output zp*/ -1, 1 << 30, -1};
  std::array<std::int8_t, 2> output{};
  global_avg_pool_s8(p, input, output.data(), nullptr);
  // Channel 0: 10 / 4 = 2.5 -> 3, -1 = 2; channel 1: -16 / 4 = -4, -1 = -5.
  EXPECT_EQ(output, (std::array<std::int8_t, 2>{2, -5}));

  // Input zero point 2: channel 0 centres to 10 - 8 = 2 -> 0.5 -> 1, -1 = 0.
  const GlobalAvgPoolS8Params centred = {1, 2, 2, 2, 2, -1, 1 << 30, -1};
  global_avg_pool_s8(centred, input, output.data(), nullptr);
  EXPECT_EQ(output[0], 0);
  EXPECT_EQ(global_avg_pool_s8_scratch_bytes(p), 0);
}

TEST(DeviceReshapeS8, CopiesTheBytesAndLeavesAnAliasedOutputAlone) {
  std::array<std::int8_t, 6> buffer = {1, 2, 3, 4, 5, 6};
  std::array<std::int8_t, 6> output{};
  reshape_s8({6}, buffer.data(), output.data(), nullptr);
  EXPECT_EQ(output, buffer);
  reshape_s8({6}, buffer.data(), buffer.data(), nullptr);
  EXPECT_EQ(buffer, (std::array<std::int8_t, 6>{1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace tinyscale::device
