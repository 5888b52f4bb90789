// The device kernels quantize_s8 and quantize_f32_to_s8 called directly (no graph, no engine).
#include "engine/kernels/device/quantize.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>

namespace tinyscale::device {
namespace {

TEST(DeviceQuantizeF32ToS8, RoundsHalvesAwayFromZeroAndSaturates) {
  // Scale 0.5, zero point -3: x / 0.5 = 2x.
  const QuantizeF32ToS8Params p = {/*size*/ 8, /*output_scale*/ 0.5f, /*zero point*/ -3};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::array<float, 8> input = {0.25f, -0.25f, 0.74f, -0.76f, 1e30f, -1e30f, nan, 0.0f};
  std::array<std::int8_t, 8> output{};
  quantize_f32_to_s8(p, input.data(), output.data(), nullptr);
  // 0.5 -> 1, -0.5 -> -1 (not to even); 1.48 -> 1; -1.52 -> -2; huge values saturate; NaN
  // takes the lower bound.
  EXPECT_EQ(output, (std::array<std::int8_t, 8>{-2, -4, -2, -5, 127, -128, -128, -3}));
}

TEST(DeviceQuantizeS8, RequantizesByTheScaleRatio) {
  // Input zero point 1 -> output zero point -1, ratio 0.5 (2^30, shift 0): (q - 1) / 2 - 1.
  // The rounding high multiply (SQRDMULH) takes ties up, as TFLite does: 0.5 -> 1 but
  // -0.5 -> 0 and -64.5 -> -64; 127 -> 63 - 1 = 62.
  const QuantizeS8Params p = {/*size*/ 5, /*zero points*/ 1, -1, 1 << 30, 0};
  const std::array<std::int8_t, 5> input = {1, 2, 0, 127, -128};
  std::array<std::int8_t, 5> output{};
  quantize_s8(p, input.data(), output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 5>{-1, 0, -1, 62, -65}));
}

}  // namespace
}  // namespace tinyscale::device
