// The device kernel sigmoid_s8 called directly on hand-derived params (no graph, no engine).
#include "engine/kernels/device/sigmoid.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace tinyscale::device {
namespace {

TEST(DeviceSigmoidS8, CentreOneUnitEachSideAndSaturation) {
  // Input scale 1/16, zero point 0: 2^-4 · 2^27 = 2^23 = 0.5 · 2^24, so multiplier 2^30 with
  // left shift 24 puts q into Q4.27; the radius 15 · 2^27 / 2^24 = 120 steps (7.5).
  const SigmoidS8Params p = {/*size*/ 6, /*zero point*/ 0, /*radius*/ 120, 1 << 30, 24};
  const std::array<std::int8_t, 6> input = {0, 16, -16, 119, 120, -120};
  std::array<std::int8_t, 6> output{};
  sigmoid_s8(p, input.data(), output.data(), nullptr);
  // Output scale 1/256, zero point -128: 0.5 -> 0; sigmoid(1) = 0.731 -> 187.1 - 128 = 59;
  // sigmoid(-1) = 0.269 -> 68.9 - 128 = -59; 7.44 -> 255.85 clamps to 127; the radius
  // saturates to 127 / -128 without evaluating.
  EXPECT_EQ(output, (std::array<std::int8_t, 6>{0, 59, -59, 127, 127, -128}));
}

TEST(DeviceSigmoidS8, InputZeroPointShiftsTheCentre) {
  const SigmoidS8Params p = {2, /*zero point*/ 10, 120, 1 << 30, 24};
  const std::array<std::int8_t, 2> input = {10, 26};
  std::array<std::int8_t, 2> output{};
  sigmoid_s8(p, input.data(), output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 2>{0, 59}));
}

}  // namespace
}  // namespace tinyscale::device
