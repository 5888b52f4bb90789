// The device kernel avg_pool_s8 called directly on hand-made params.
#include "engine/kernels/device/avg_pool.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<AvgPoolS8Params>);

TEST(DeviceAvgPoolS8, CountsOnlyInImageCellsAndRoundsHalfAwayFromZero) {
  // Input 2x2x1; window 2x2, stride 1, padding 1 on top and left: 3x3 outputs... use the
  // 2x2 output of out_h = out_w = 2 (pad_bottom = pad_right = 0).
  const std::int8_t input[4] = {1, 2, -3, -6};
  const AvgPoolS8Params p = {{1, 2, 2, 1, 2, 2, 2, 2, 1, 1, 1, 1}, -128, 127};
  std::array<std::int8_t, 4> output{};
  avg_pool_s8(p, input, output.data(), nullptr);
  // (0,0): {1} = 1; (0,1): {1,2} = 1.5 -> 2; (1,0): {1,-3} = -1; (1,1): all = -1.5 -> -2.
  EXPECT_EQ(output, (std::array<std::int8_t, 4>{1, 2, -1, -2}));
  EXPECT_EQ(avg_pool_s8_scratch_bytes(p), 0);
}

TEST(DeviceAvgPoolS8, ClampsToTheActivationRangeAndKeepsChannelsApart) {
  const std::int8_t input[4] = {10, -10, 20, -20};  // 1x2x1x2: channels (10, 20) and (-10, -20)
  const AvgPoolS8Params p = {{1, 2, 1, 2, 1, 1, 2, 1, 2, 1, 0, 0}, 0, 12};
  std::array<std::int8_t, 2> output{};
  avg_pool_s8(p, input, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 2>{12, 0}));  // 15 -> 12, -15 -> 0
}

}  // namespace
}  // namespace tinyscale::device
