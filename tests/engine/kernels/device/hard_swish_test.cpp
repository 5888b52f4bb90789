// The device kernel hard_swish_s8 called directly on hand-derived params (no graph, no
// engine): input and output scale 0.05, zero point 0.
#include "engine/kernels/device/hard_swish.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<HardSwishS8Params>,
              "a code generator prints params as an initializer");

TEST(DeviceHardSwishS8, SaturatedSidesAndTheQuadraticMiddle) {
  // hires scale 0.05 / 128: output multiplier (0.05 / 128) / 0.05 = 2^-7 -> Q0.15 16384
  // (0.5) with exponent -6; reluish multiplier (0.05 / 128) / (3 / 32768) = 4.2667 -> Q0.15
  // 17476 (0.5333) with exponent 3.
  const HardSwishS8Params p = {/*size*/ 7, /*zero points*/ 0, 0, 16384, -6, 17476, 3};
  const std::array<std::int8_t, 7> input = {-128, -60, -20, 0, 20, 60, 127};
  std::array<std::int8_t, 7> output{};
  hard_swish_s8(p, input.data(), output.data(), nullptr);
  // -6.4 and -3.0 -> 0; -1.0 -> -1/3 = -6.67 steps -> -7; 1.0 -> 2/3 = 13.3 steps -> 13;
  // 3.0 and 6.35 -> themselves.
  EXPECT_EQ(output, (std::array<std::int8_t, 7>{0, 0, -7, 0, 13, 60, 127}));
}

TEST(DeviceHardSwishS8, OutputZeroPointIsAddedAndClamped) {
  // Same scales, output zero point 100: 6.35 -> 127 + 100 clamps to 127; 0 -> 100.
  const HardSwishS8Params p = {3, 0, 100, 16384, -6, 17476, 3};
  const std::array<std::int8_t, 3> input = {127, 0, -20};
  std::array<std::int8_t, 3> output{};
  hard_swish_s8(p, input.data(), output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 3>{127, 100, 93}));
}

}  // namespace
}  // namespace tinyscale::device
