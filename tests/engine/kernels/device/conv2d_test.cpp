// The device kernel conv2d_s8 called directly on hand-made params (no graph, no engine):
// small cases whose outputs were computed by hand.
#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/fixed_point.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

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
                            /*act*/ -128, 127, /*requant_channels*/ 1, multipliers, shifts,
                            /*output_table*/ nullptr};
  std::array<std::int8_t, 4> output{};
  conv2d_s8(p, input, weights, bias, output.data(), nullptr);
  // (2+3+5+6 + 10) / 2 - 3 = 10;  (3+4+6+7 + 10) / 2 - 3 = 12;  ...
  EXPECT_EQ(output, (std::array<std::int8_t, 4>{10, 12, 16, 18}));
  EXPECT_EQ(conv2d_s8_scratch_bytes(p), 0);
}

// Found by fuzz/fuzz_tflite (reproducer fuzz/corpus/fuzz_tflite/bias_int32_min.tflite): a bias
// of -2^31 added to a negative accumulator was signed overflow; it wraps as TFLite's kernels do.
TEST(DeviceConv2dS8, ExtremeBiasWrapsAroundAsTfliteDoes) {
  const std::int8_t input[1] = {-128};
  const std::int8_t weights[1] = {127};
  const std::int32_t bias[1] = {-2147483647 - 1};
  const std::int32_t multipliers[1] = {1 << 30};
  const std::int8_t shifts[1] = {0};
  const Conv2dS8Params p = {/*batches*/ 1, /*in*/ 1, 1, 1, /*out*/ 1, 1, 1,
                            /*kernel*/ 1, 1, /*stride*/ 1, 1, /*dilation*/ 1, 1, /*pad*/ 0, 0,
                            /*per group*/ 1, 1, /*input_offset*/ 0, /*output_offset*/ 0,
                            /*act*/ -128, 127, /*requant_channels*/ 1, multipliers, shifts,
                            /*output_table*/ nullptr};
  std::int8_t output[1] = {0};
  conv2d_s8(p, input, weights, bias, output, nullptr);
  // -16256 - 2^31 wraps to 2^31 - 16256, halved and clamped: 127 (saturating would give -128).
  EXPECT_EQ(output[0], 127);
  EXPECT_EQ(wrapping_add_s32(-16256, -2147483647 - 1), 2147467392);
  // The next finding (reproducer fuzz/corpus/fuzz_tflite/left_shift_overflow.tflite): a
  // multiplier above 1 shifted -2955 by 29 bits past the int32 range.
  EXPECT_EQ(wrapping_shift_left_s32(-2955, 29), -1610612736);
  EXPECT_EQ(wrapping_shift_left_s32(5, 32), 0);
  EXPECT_EQ(multiply_by_quantized_multiplier(-2955, 1 << 30, 29),
            saturating_rounding_doubling_high_mul(-1610612736, 1 << 30));
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
                            -25, 12, 2, multipliers, shifts, nullptr};
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
                            -128, 127, 1, multipliers, shifts, nullptr};
  std::array<std::int8_t, 2> output{};
  conv2d_s8(p, input, weights, nullptr, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 2>{0, 6}));
}

// In place (output == input, scratch of in_h × in_w bytes): on random depthwise geometries whose
// output has the input's shape (any kernel, stride, dilation and padding that keep it), zero
// points, per-channel or per-tensor requantization, with or without bias, the same bytes as
// the call into a separate output; the scratch's neighbours stay untouched. With an
// output_table (a fused activation), both calls store the table's entry of those bytes.
TEST(DeviceConv2dS8, DepthwiseInPlaceMatchesTheSeparateOutputCall) {
  std::mt19937 rng(15);
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng() % (hi - lo + 1)); };
  int checked = 0;
  while (checked < 300) {
    const int in_h = pick(1, 9), in_w = pick(1, 9), c = pick(1, 9), batches = pick(1, 2);
    const int kernel_h = pick(1, 5), kernel_w = pick(1, 5), stride = pick(1, 2);
    const int dilation_h = pick(1, 2), dilation_w = pick(1, 2);
    const int pad_top = pick(0, 4), pad_bottom = pick(0, 4), pad_left = pick(0, 4),
              pad_right = pick(0, 4);
    const int span_h = dilation_h * (kernel_h - 1) + 1, span_w = dilation_w * (kernel_w - 1) + 1;
    if (in_h + pad_top + pad_bottom < span_h || in_w + pad_left + pad_right < span_w) continue;
    const int out_h = (in_h + pad_top + pad_bottom - span_h) / stride + 1;
    const int out_w = (in_w + pad_left + pad_right - span_w) / stride + 1;
    if (out_h != in_h || out_w != in_w) continue;
    const bool per_channel = pick(0, 1) == 1;
    const int requant_channels = per_channel ? c : 1;
    std::vector<std::int32_t> multipliers, bias;
    std::vector<std::int8_t> shifts;
    for (int k = 0; k < requant_channels; ++k) {
      multipliers.push_back((1 << 30) + static_cast<std::int32_t>(rng() % (1u << 30)));
      shifts.push_back(static_cast<std::int8_t>(pick(-10, 1)));
    }
    for (int k = 0; k < c; ++k) bias.push_back(pick(-5000, 5000));
    const int act_min = pick(-128, -100), act_max = pick(90, 127);
    const Conv2dS8Params p = {batches,    in_h,       in_w,       c,          out_h,
                              out_w,      c,          kernel_h,   kernel_w,   stride,
                              stride,     dilation_h, dilation_w, pad_top,    pad_left,
                              1,          1,          -pick(-128, 127), pick(-128, 127),
                              act_min,    act_max,    requant_channels, multipliers.data(),
                              shifts.data(), nullptr};
    std::vector<std::int8_t> input(static_cast<std::size_t>(batches * in_h * in_w * c));
    std::vector<std::int8_t> weights(static_cast<std::size_t>(c * kernel_h * kernel_w));
    for (auto& v : input) v = static_cast<std::int8_t>(rng());
    for (auto& v : weights) v = static_cast<std::int8_t>(rng());
    const std::int32_t* b = pick(0, 3) == 0 ? nullptr : bias.data();
    SCOPED_TRACE("case " + std::to_string(checked) + ": " + std::to_string(in_h) + "x" +
                 std::to_string(in_w) + "x" + std::to_string(c) + ", kernel " +
                 std::to_string(kernel_h) + "x" + std::to_string(kernel_w) + ", stride " +
                 std::to_string(stride));

    std::vector<std::int8_t> expected(input.size());
    conv2d_s8(p, input.data(), weights.data(), b, expected.data(), nullptr);
    // The scratch between two guard bands of a poison value.
    const std::size_t plane = static_cast<std::size_t>(in_h * in_w), guard = 16;
    std::vector<std::int8_t> scratch(plane + 2 * guard, std::int8_t{0x5a});
    std::vector<std::int8_t> data = input;
    conv2d_s8(p, data.data(), weights.data(), b, data.data(), scratch.data() + guard);
    ASSERT_EQ(data, expected);
    for (std::size_t k = 0; k < guard; ++k) {
      ASSERT_EQ(scratch[k], 0x5a);
      ASSERT_EQ(scratch[plane + guard + k], 0x5a);
    }
    // A fused activation's table: both paths store table[q + 128] for the same q.
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = static_cast<std::int8_t>(rng());
    Conv2dS8Params fused = p;
    fused.output_table = table.data();
    std::vector<std::int8_t> activated(expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) {
      activated[k] = table[static_cast<std::size_t>(expected[k] + 128)];
    }
    std::vector<std::int8_t> separate(expected.size());
    conv2d_s8(fused, input.data(), weights.data(), b, separate.data(), nullptr);
    ASSERT_EQ(separate, activated);
    data = input;
    conv2d_s8(fused, data.data(), weights.data(), b, data.data(), scratch.data() + guard);
    ASSERT_EQ(data, activated);
    ++checked;
  }
}

}  // namespace
}  // namespace tinyscale::device
