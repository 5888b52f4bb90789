// depthwise_s8_fast against its oracle conv2d_s8 (issue 16): random depthwise convolutions
// (channel counts that are and are not multiples of 4, 3x3 and other kernels, strides 1-3,
// padding, zero points at the extremes, per-tensor and per-channel shifts of both signs,
// activation ranges, with and without an output table) must give byte-identical outputs, with
// the weights reordered and the bias folded as the code generator does it.
#include "engine/kernels/device/depthwise_fast.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/conv2d_fast.h"
#include "engine/kernels/device/depthwise_fast_in_place.h"
#include "tests/engine/kernels/device/conv_case.h"

namespace tinyscale::device {
namespace {

using Case = ConvCase;

// A random depthwise convolution; kernel 3x3 when `kernel3x3`, else 1..5 x 1..5.
Case random_case(std::mt19937& rng, bool kernel3x3) {
  Case c;
  Conv2dS8Params& p = c.p;
  p.batches = pick(rng, 1, 2);
  p.in_c = p.out_c = pick(rng, 1, 37);
  p.kernel_h = kernel3x3 ? 3 : pick(rng, 1, 5);
  p.kernel_w = kernel3x3 ? 3 : pick(rng, 1, 5);
  p.stride_h = pick(rng, 1, 3);
  p.stride_w = pick(rng, 1, 3);
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = pick(rng, 0, p.kernel_h / 2 + 1);
  p.pad_left = pick(rng, 0, p.kernel_w / 2 + 1);
  p.in_h = pick(rng, 1, 12);
  p.in_w = pick(rng, 1, 12);
  // TFLite's output size for this padding (at least one pixel).
  p.out_h = (p.in_h + 2 * p.pad_top - p.kernel_h) / p.stride_h + 1;
  p.out_w = (p.in_w + 2 * p.pad_left - p.kernel_w) / p.stride_w + 1;
  if (p.out_h < 1) p.out_h = 1;
  if (p.out_w < 1) p.out_w = 1;
  p.in_c_per_group = p.out_c_per_group = 1;
  random_output_stage(rng, c);
  fill_random(rng, c.input, static_cast<std::size_t>(p.batches * p.in_h * p.in_w * p.in_c));
  fill_random(rng, c.weights, static_cast<std::size_t>(p.out_c * p.kernel_h * p.kernel_w));
  return c;
}

void expect_same_as_reference(const Case& c, const std::string& what) {
  const Conv2dS8Params& p = c.p;
  const auto n = static_cast<std::size_t>(p.batches * p.out_h * p.out_w * p.out_c);
  std::vector<std::int8_t> expected(n, 0x55), actual(n, 0x55);
  const std::int32_t* bias = c.with_bias ? c.bias.data() : nullptr;
  conv2d_s8(p, c.input.data(), c.weights.data(), bias, expected.data(), nullptr);
  std::vector<std::int32_t> folded(static_cast<std::size_t>(p.out_c));
  conv2d_s8_fold_bias(p, c.weights.data(), bias, folded.data());
  std::vector<std::int8_t> reordered(c.weights.size(), 0x55);
  depthwise_s8_fast_reorder_weights(p, c.weights.data(), reordered.data());
  depthwise_s8_fast(p, c.input.data(), reordered.data(), folded.data(), actual.data(), nullptr);
  ASSERT_EQ(actual, expected) << what;
}

TEST(DeviceDepthwiseS8Fast, Random3x3CasesMatchTheReferenceByteForByte) {
  std::mt19937 rng(16);
  for (int i = 0; i < 400; ++i) {
    const Case c = random_case(rng, /*kernel3x3=*/true);
    ASSERT_TRUE(depthwise_s8_fast_applies(c.p)) << describe(c.p);
    expect_same_as_reference(c, "case " + std::to_string(i) + ": " + describe(c.p));
  }
}

TEST(DeviceDepthwiseS8Fast, RandomOtherKernelsMatchTheReferenceByteForByte) {
  std::mt19937 rng(61);
  for (int i = 0; i < 400; ++i) {
    const Case c = random_case(rng, /*kernel3x3=*/false);
    ASSERT_TRUE(depthwise_s8_fast_applies(c.p)) << describe(c.p);
    expect_same_as_reference(c, "case " + std::to_string(i) + ": " + describe(c.p));
  }
}

TEST(DeviceDepthwiseS8Fast, ExtremeValuesAndZeroPointsMatch) {
  // Every input -128 with zero point 127 (padding taps read 127), weights -128, and input
  // 127 with zero point -128: the largest products, the padding at both ends.
  for (const int zero_point : {127, -128}) {
    for (const int channels : {64, 7}) {
      Case c;
      Conv2dS8Params& p = c.p;
      p = {1, 25, 5, channels, 25,          5,    channels, 3,   3, 1,       1,       1,      1,
           1, 1,  1, 1,        -zero_point, -128, -128,     127, 1, nullptr, nullptr, nullptr};
      c.input.assign(static_cast<std::size_t>(25 * 5 * channels),
                     static_cast<std::int8_t>(zero_point == 127 ? -128 : 127));
      c.weights.assign(static_cast<std::size_t>(channels * 9), -128);
      c.bias.assign(static_cast<std::size_t>(channels), 0);
      c.multipliers = {1 << 30};
      c.shifts = {-8};
      p.multipliers = c.multipliers.data();
      p.shifts = c.shifts.data();
      ASSERT_TRUE(depthwise_s8_fast_applies(p));
      expect_same_as_reference(c, "zero point " + std::to_string(zero_point) + ", " +
                                      std::to_string(channels) + " channels");
    }
  }
}

TEST(DeviceDepthwiseS8Fast, ReorderedWeightsAreAPermutationInTheKernelsOrder) {
  // 7 channels (groups of 4, 2, 1), 3x3 (4 tap pairs and a single tap).
  Conv2dS8Params p{};
  p.out_c = p.in_c = 7;
  p.kernel_h = p.kernel_w = 3;
  std::vector<std::int8_t> w(63), r(63, 0);
  for (int i = 0; i < 63; ++i) w[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i);
  depthwise_s8_fast_reorder_weights(p, w.data(), r.data());
  auto at = [&](int channel, int tap) { return static_cast<std::int8_t>(channel * 9 + tap); };
  // Group of 4, pair (0, 1): c0 c1 of tap 0, c0 c1 of tap 1, then c2 c3 alike.
  const std::vector<std::int8_t> first = {at(0, 0), at(1, 0), at(0, 1), at(1, 1),
                                          at(2, 0), at(3, 0), at(2, 1), at(3, 1)};
  EXPECT_EQ(std::vector<std::int8_t>(r.begin(), r.begin() + 8), first);
  // Its single last tap 8: channels 0..3 in order, at 4 * 8.
  EXPECT_EQ(r[32], at(0, 8));
  EXPECT_EQ(r[35], at(3, 8));
  // Group of 2 (channels 4, 5) from byte 36: pair (0, 1).
  EXPECT_EQ(r[36], at(4, 0));
  EXPECT_EQ(r[37], at(5, 0));
  EXPECT_EQ(r[38], at(4, 1));
  EXPECT_EQ(r[39], at(5, 1));
  // Group of 1 (channel 6) from byte 54: taps in order.
  for (int t = 0; t < 9; ++t) EXPECT_EQ(r[static_cast<std::size_t>(54 + t)], at(6, t));
  std::vector<int> seen(63, 0);
  for (const std::int8_t v : r) ++seen[static_cast<std::size_t>(v)];
  for (const int n : seen) EXPECT_EQ(n, 1);
}

TEST(DeviceDepthwiseS8Fast, AppliesOnlyToDepthwiseWithoutDilation) {
  const std::int32_t m[1] = {1 << 30};
  const std::int8_t s[1] = {0};
  const Conv2dS8Params depthwise = {1, 8, 8, 16, 8, 8, 16,   3,   3, 1, 1, 1,      1,
                                    1, 1, 1, 1,  0, 0, -128, 127, 1, m, s, nullptr};
  EXPECT_TRUE(depthwise_s8_fast_applies(depthwise));
  Conv2dS8Params p = depthwise;
  p.dilation_h = 2;
  EXPECT_FALSE(depthwise_s8_fast_applies(p));
  p = depthwise;
  p.out_c_per_group = 2;  // channel multiplier 2
  p.out_c = 32;
  EXPECT_FALSE(depthwise_s8_fast_applies(p));
  p = depthwise;
  p.in_c_per_group = 16;  // a full convolution
  p.out_c_per_group = 16;
  EXPECT_FALSE(depthwise_s8_fast_applies(p));
  p = depthwise;
  p.kernel_h = p.kernel_w = 9;  // more taps than the stack table holds
  EXPECT_FALSE(depthwise_s8_fast_applies(p));
  EXPECT_EQ(depthwise_s8_fast_scratch_bytes(depthwise), 0);
}

// In place: conv2d_s8 in place (input == output, the plane in scratch) is the oracle; the
// fast in-place kernel gets the original weights and the folded bias, and a scratch of exactly
// in_h * in_w bytes followed by canaries it must not touch.
void expect_in_place_same_as_reference(const Case& c, const std::string& what) {
  const Conv2dS8Params& p = c.p;
  const std::int32_t* bias = c.with_bias ? c.bias.data() : nullptr;
  std::vector<std::int8_t> expected = c.input, actual = c.input;
  const auto plane = static_cast<std::size_t>(p.in_h * p.in_w);
  std::vector<std::int8_t> ref_scratch(plane);
  conv2d_s8(p, expected.data(), c.weights.data(), bias, expected.data(), ref_scratch.data());
  // Cross-check the oracle against its out-of-place result.
  std::vector<std::int8_t> out_of_place(c.input.size(), 0x55);
  conv2d_s8(p, c.input.data(), c.weights.data(), bias, out_of_place.data(), nullptr);
  ASSERT_EQ(expected, out_of_place) << what;
  std::vector<std::int32_t> folded(static_cast<std::size_t>(p.out_c));
  conv2d_s8_fold_bias(p, c.weights.data(), bias, folded.data());
  ASSERT_EQ(depthwise_s8_fast_in_place_scratch_bytes(p), static_cast<std::int32_t>(plane));
  std::vector<std::int8_t> scratch(plane + 8, 0x5A);
  depthwise_s8_fast_in_place(p, actual.data(), c.weights.data(), folded.data(), scratch.data());
  ASSERT_EQ(actual, expected) << what;
  for (std::size_t i = plane; i < scratch.size(); ++i) ASSERT_EQ(scratch[i], 0x5A) << what;
}

TEST(DeviceDepthwiseS8FastInPlace, RandomCasesMatchTheReferenceInPlaceByteForByte) {
  std::mt19937 rng(1616);
  for (int i = 0; i < 500; ++i) {
    Case c = random_case(rng, /*kernel3x3=*/true);
    Conv2dS8Params& p = c.p;
    // In place: stride 1, padding 1, out shape == in shape.
    p.stride_h = p.stride_w = 1;
    p.pad_top = p.pad_left = 1;
    p.out_h = p.in_h;
    p.out_w = p.in_w;
    ASSERT_TRUE(depthwise_s8_fast_in_place_applies(p)) << describe(p);
    expect_in_place_same_as_reference(c, "case " + std::to_string(i) + ": " + describe(p));
  }
}

TEST(DeviceDepthwiseS8FastInPlace, ExtremeValuesAndZeroPointsMatch) {
  for (const int zero_point : {127, -128}) {
    for (const int channels : {80, 7}) {
      for (const int width : {48, 5, 4, 3, 2, 1}) {
        Case c;
        Conv2dS8Params& p = c.p;
        p = {1, 6, width, channels,    6,    width, channels, 3, 3,       1,       1,      1, 1, 1,
             1, 1, 1,     -zero_point, -128, -128,  127,      1, nullptr, nullptr, nullptr};
        c.input.assign(static_cast<std::size_t>(6 * width * channels),
                       static_cast<std::int8_t>(zero_point == 127 ? -128 : 127));
        c.weights.assign(static_cast<std::size_t>(channels * 9), -128);
        c.bias.assign(static_cast<std::size_t>(channels), 0);
        c.multipliers = {1 << 30};
        c.shifts = {-8};
        p.multipliers = c.multipliers.data();
        p.shifts = c.shifts.data();
        ASSERT_TRUE(depthwise_s8_fast_in_place_applies(p));
        expect_in_place_same_as_reference(c, "zero point " + std::to_string(zero_point) + ", " +
                                                 std::to_string(channels) + " channels, width " +
                                                 std::to_string(width));
      }
    }
  }
}

TEST(DeviceDepthwiseS8FastInPlace, AppliesOnlyTo3x3Stride1SameShape) {
  const std::int32_t m[1] = {1 << 30};
  const std::int8_t s[1] = {0};
  const Conv2dS8Params same = {1, 8, 8, 16, 8, 8, 16,   3,   3, 1, 1, 1,      1,
                               1, 1, 1, 1,  0, 0, -128, 127, 1, m, s, nullptr};
  EXPECT_TRUE(depthwise_s8_fast_in_place_applies(same));
  EXPECT_EQ(depthwise_s8_fast_in_place_scratch_bytes(same), 64);
  Conv2dS8Params p = same;
  p.stride_h = p.stride_w = 2;
  p.out_h = p.out_w = 4;
  EXPECT_FALSE(depthwise_s8_fast_in_place_applies(p));
  p = same;
  p.kernel_h = p.kernel_w = 5;
  p.pad_top = p.pad_left = 2;
  EXPECT_FALSE(depthwise_s8_fast_in_place_applies(p));
  p = same;
  p.pad_top = p.pad_left = 0;
  p.out_h = p.out_w = 6;
  EXPECT_FALSE(depthwise_s8_fast_in_place_applies(p));
  p = same;
  p.dilation_h = 2;
  EXPECT_FALSE(depthwise_s8_fast_in_place_applies(p));
}

}  // namespace
}  // namespace tinyscale::device
