// The device kernel tanh_s8 called directly on hand-derived params (no graph, no engine).
#include "engine/kernels/device/tanh.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace tinyscale::device {
namespace {

TEST(DeviceTanhS8, OddAroundZeroAndSaturation) {
  // Input scale 1/16, zero point 0 (see DeviceSigmoidS8): multiplier 2^30, left shift 24,
  // radius 120 steps.
  const TanhS8Params p = {/*size*/ 6, /*zero point*/ 0, /*radius*/ 120, 1 << 30, 24};
  const std::array<std::int8_t, 6> input = {0, 16, -16, 8, 119, -120};
  std::array<std::int8_t, 6> output{};
  tanh_s8(p, input.data(), output.data(), nullptr);
  // Output scale 1/128, zero point 0: tanh(1) = 0.7616 -> 97.5 -> 97; tanh(0.5) = 0.4621 ->
  // 59.2 -> 59; tanh(7.44) -> 128 clamps to 127; -7.5 is at the radius: -128.
  EXPECT_EQ(output, (std::array<std::int8_t, 6>{0, 97, -97, 59, 127, -128}));
}

}  // namespace
}  // namespace tinyscale::device
