// The device kernel fully_connected_s8 called directly on hand-made params: small cases whose
// outputs were computed by hand.
#include "engine/kernels/device/fully_connected.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<FullyConnectedS8Params>,
              "a code generator prints params as an initializer");

TEST(DeviceFullyConnectedS8, PerTensorWithWeightAndInputOffsetsAndBias) {
  // Weight zero point -1 (offset +1), input zero point 2 (offset -2), x0.5, output zp 1.
  const std::int8_t input[6] = {3, 4, 5, 2, 2, 2};      // 2 batches x 3 features
  const std::int8_t weights[6] = {1, 0, -1, 2, 2, 2};  // 2 outputs x 3 features
  const std::int32_t bias[2] = {4, -6};
  const std::int32_t multipliers[1] = {1 << 30};
  const std::int8_t shifts[1] = {0};
  const FullyConnectedS8Params p = {/*batches*/ 2, /*in*/ 3, /*out*/ 2, /*input_offset*/ -2,
                                    /*weight_offset*/ 1, /*output_offset*/ 1, -128, 127,
                                    /*requant_channels*/ 1, multipliers, shifts};
  std::array<std::int8_t, 4> output{};
  fully_connected_s8(p, input, weights, bias, output.data(), nullptr);
  // b0: (2·1 + 1·2 + 0·3 + 4) / 2 + 1 = 5, (3·1 + 3·2 + 3·3 - 6) / 2 + 1 = 7;
  // b1: x = 0 after the offset: 4 / 2 + 1 = 3, -6 / 2 + 1 = -2.
  EXPECT_EQ(output, (std::array<std::int8_t, 4>{5, 7, 3, -2}));
  EXPECT_EQ(fully_connected_s8_scratch_bytes(p), 0);
}

TEST(DeviceFullyConnectedS8, PerChannelNoBiasRoundingAndClamp) {
  // Channel 0 x2 then clamped to 15; channel 1 x1/16 with a tie (2.5 -> 3).
  const std::int8_t input[2] = {10, -10};
  const std::int8_t weights[4] = {2, 1, 3, -1};
  const std::int32_t multipliers[2] = {1 << 30, 1 << 30};
  const std::int8_t shifts[2] = {2, -3};
  const FullyConnectedS8Params p = {1, 2, 2, 0, 0, 0, -128, 15, 2, multipliers, shifts};
  std::array<std::int8_t, 2> output{};
  fully_connected_s8(p, input, weights, nullptr, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 2>{15, 3}));
}

}  // namespace
}  // namespace tinyscale::device
