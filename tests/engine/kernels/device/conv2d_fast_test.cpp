// conv2d_s8_fast against its oracle conv2d_s8 (issue 16): random pointwise convolutions
// (odd channel counts, odd pixel counts, strides, zero points at the extremes, per-tensor
// and per-channel shifts of both signs, activation ranges, with and without an output
// table) must give byte-identical outputs, with the bias folded as the code generator folds
// it (conv2d_s8_fold_bias); other shapes are not taken.
#include "engine/kernels/device/conv2d_fast.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/mul.h"
#include "engine/kernels/device/mul_fast.h"
#include "tests/engine/kernels/device/conv_case.h"

namespace tinyscale::device {
namespace {

using Case = ConvCase;

// A random convolution; pointwise (1x1, no padding, groups 1) when `pointwise`.
Case random_case(std::mt19937& rng, bool pointwise) {
  Case c;
  Conv2dS8Params& p = c.p;
  p.batches = pick(rng, 1, 2);
  p.in_c = pick(rng, 1, 67);
  p.out_c = pick(rng, 1, 67);
  p.kernel_h = pointwise ? 1 : pick(rng, 1, 3);
  p.kernel_w = pointwise ? 1 : pick(rng, 2, 3);
  p.stride_h = pick(rng, 1, 2);
  p.stride_w = pick(rng, 1, 2);
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = pointwise ? 0 : pick(rng, 0, 1);
  p.pad_left = pointwise ? 0 : pick(rng, 0, 1);
  // Pixels 1..50: pick the output first, then the smallest input that holds it.
  p.out_h = pick(rng, 1, 7);
  p.out_w = pick(rng, 1, 50 / p.out_h);
  p.in_h = (p.out_h - 1) * p.stride_h + p.kernel_h - 2 * p.pad_top + pick(rng, 0, 1);
  p.in_w = (p.out_w - 1) * p.stride_w + p.kernel_w - 2 * p.pad_left + pick(rng, 0, 1);
  if (p.in_h < 1) p.in_h = 1;
  if (p.in_w < 1) p.in_w = 1;
  p.in_c_per_group = p.in_c;
  p.out_c_per_group = p.out_c;
  random_output_stage(rng, c);
  fill_random(rng, c.input, static_cast<std::size_t>(p.batches * p.in_h * p.in_w * p.in_c));
  fill_random(rng, c.weights, static_cast<std::size_t>(p.out_c * p.kernel_h * p.kernel_w * p.in_c));
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
  std::vector<std::int8_t> reordered(c.weights.size());
  conv2d_s8_fast_reorder_weights(p, c.weights.data(), reordered.data());
  conv2d_s8_fast(p, c.input.data(), reordered.data(), folded.data(), actual.data(), nullptr);
  ASSERT_EQ(actual, expected) << what;
}

TEST(DeviceConv2dS8Fast, PointwiseRandomCasesMatchTheReferenceByteForByte) {
  std::mt19937 rng(16);
  for (int i = 0; i < 400; ++i) {
    const Case c = random_case(rng, /*pointwise=*/true);
    ASSERT_TRUE(conv2d_s8_fast_applies(c.p)) << describe(c.p);
    expect_same_as_reference(c, "case " + std::to_string(i) + ": " + describe(c.p));
  }
}

TEST(DeviceConv2dS8Fast, OtherShapesAreNotTaken) {
  std::mt19937 rng(61);
  for (int i = 0; i < 150; ++i) {
    const Case c = random_case(rng, /*pointwise=*/false);
    EXPECT_FALSE(conv2d_s8_fast_applies(c.p)) << describe(c.p);  // kernel_w >= 2
  }
}

TEST(DeviceConv2dS8Fast, FoldedBiasIsBiasPlusInputOffsetTimesWeightSum) {
  // Depthwise layout [out_c, kh, kw, 1]: each channel's 2x2 weights; the sum wraps as int32.
  const Conv2dS8Params p = {1, 4, 4, 2, 3,   3, 2,    2,   2, 1,       1,       1,      1,
                            0, 0, 1, 1, 128, 0, -128, 127, 1, nullptr, nullptr, nullptr};
  const std::int8_t w[8] = {1, 2, 3, 4, -128, -128, -128, -128};
  const std::int32_t bias[2] = {10, 2147483647};
  std::int32_t folded[2];
  conv2d_s8_fold_bias(p, w, bias, folded);
  EXPECT_EQ(folded[0], 10 + 128 * 10);
  EXPECT_EQ(folded[1], 2147483647 - 128 * 512);
  conv2d_s8_fold_bias(p, w, nullptr, folded);
  EXPECT_EQ(folded[0], 1280);
}

TEST(DeviceConv2dS8Fast, ExtremeValuesAndZeroPointsMatch) {
  // Every input -128 with zero point 127 (x + offset = -255), weights -128: the largest
  // products; and input 127 with zero point -128 (x + offset = 255).
  for (const int zero_point : {127, -128}) {
    Case c;
    Conv2dS8Params& p = c.p;
    p = {1, 3, 5,  64, 3,           5,    33,   1,   1, 1,       1,       1,      1,
         0, 0, 64, 33, -zero_point, -128, -128, 127, 1, nullptr, nullptr, nullptr};
    c.input.assign(3 * 5 * 64, static_cast<std::int8_t>(zero_point == 127 ? -128 : 127));
    c.weights.assign(33 * 64, -128);
    c.bias.assign(33, 0);
    c.multipliers = {1 << 30};
    c.shifts = {-16};
    p.multipliers = c.multipliers.data();
    p.shifts = c.shifts.data();
    ASSERT_TRUE(conv2d_s8_fast_applies(p));
    expect_same_as_reference(c, "zero point " + std::to_string(zero_point));
  }
}

TEST(DeviceConv2dS8Fast, AppliesOnlyToPointwiseWithoutPaddingOrGroups) {
  const std::int32_t m[1] = {1 << 30};
  const std::int8_t s[1] = {0};
  const Conv2dS8Params pointwise = {1, 4, 4, 8, 4, 4, 8,    1,   1, 1, 1, 1,      1,
                                    0, 0, 8, 8, 0, 0, -128, 127, 1, m, s, nullptr};
  EXPECT_TRUE(conv2d_s8_fast_applies(pointwise));
  Conv2dS8Params p = pointwise;
  p.kernel_w = 3;
  EXPECT_FALSE(conv2d_s8_fast_applies(p));
  p = pointwise;
  p.pad_top = 1;
  EXPECT_FALSE(conv2d_s8_fast_applies(p));
  p = pointwise;
  p.in_c_per_group = 1;  // depthwise
  p.out_c_per_group = 1;
  EXPECT_FALSE(conv2d_s8_fast_applies(p));
  p = pointwise;
  p.stride_h = p.stride_w = 2;  // 4x4 output of a 4x4 input at stride 2 reads outside
  EXPECT_FALSE(conv2d_s8_fast_applies(p));
  p.out_h = p.out_w = 2;
  EXPECT_TRUE(conv2d_s8_fast_applies(p));
  EXPECT_EQ(conv2d_s8_fast_scratch_bytes(pointwise), 0);
}

// The multiply fused into the input (conv2d_s8_fast_*_mul): mul_s8 over x in place, then
// conv2d_s8, must equal the fused call. Squeeze-excite gates (other_step 0) and attention
// maps (other_step in_c), both output stages, both multiply stages (mul_fast.h's short one and
// mul_s8's arithmetic), channel counts odd and even (products into the expansion, or x
// written over first), pixel counts odd and even (the last pixels through the direct path);
// no output byte past the end written.
TEST(DeviceConv2dS8Fast, FusedMultiplyMatchesMulThenConvolution) {
  std::mt19937 rng(27);
  int short_stage = 0, short_multiply = 0;
  for (int i = 0; i < 300; ++i) {
    Case c = random_case(rng, /*pointwise=*/true);
    Conv2dS8Params& p = c.p;
    p.batches = 1;
    p.stride_h = p.stride_w = 1;
    p.in_h = p.out_h;
    p.in_w = p.out_w;
    fill_random(rng, c.input, static_cast<std::size_t>(p.in_h * p.in_w * p.in_c));
    ASSERT_TRUE(conv2d_s8_fast_mul_applies(p)) << describe(p);
    const bool attention = i % 2 == 1;
    const std::int32_t pixels = p.in_h * p.in_w;
    std::vector<std::int8_t> other;
    fill_random(rng, other, static_cast<std::size_t>(attention ? pixels * p.in_c : p.in_c));
    // The multiply: x * other, its output zero point the convolution's input one.
    MulS8Params m{};
    m.shape = {{1, p.in_h, p.in_w, p.in_c},
               {0, p.in_w * p.in_c, p.in_c, 1},
               {0, attention ? p.in_w * p.in_c : 0, attention ? p.in_c : 0, 1}};
    m.input1_offset = pick(rng, -127, 128);
    m.input2_offset = pick(rng, 0, 1) ? 128 : pick(rng, -127, 128);  // sigmoid: zero point -128
    m.output_offset = -p.input_offset;
    if (m.output_offset < -128 || m.output_offset > 127) m.output_offset = pick(rng, -128, 127);
    p.input_offset = -m.output_offset;
    m.output_multiplier = pick(rng, 1 << 30, 2147483647);
    // One case in four outside the short stage: a shift of 0 or more, or a narrower range.
    const bool usual = i % 4 != 3;
    m.output_shift = usual ? -pick(rng, 1, 12) : pick(rng, -3, 1);
    m.act_min = usual ? -128 : pick(rng, -128, -100);
    m.act_max = 127;
    const auto n = static_cast<std::size_t>(pixels * p.out_c);
    std::vector<std::int8_t> expected(n + 8, 0x55), actual(n + 8, 0x55);
    std::vector<std::int8_t> products = c.input;
    mul_s8(m, products.data(), other.data(), products.data(), nullptr);
    const std::int32_t* bias = c.with_bias ? c.bias.data() : nullptr;
    conv2d_s8(p, products.data(), c.weights.data(), bias, expected.data(), nullptr);
    std::vector<std::int32_t> folded(static_cast<std::size_t>(p.out_c));
    conv2d_s8_fold_bias(p, c.weights.data(), bias, folded.data());
    std::vector<std::int8_t> reordered(c.weights.size());
    conv2d_s8_fast_reorder_weights(p, c.weights.data(), reordered.data());
    const PointwiseMulS8Params fused = {
        m.input1_offset,     m.input2_offset,        m.output_offset,
        m.output_multiplier, m.output_shift,         m.act_min,
        m.act_max,           attention ? p.in_c : 0, other.data()};
    short_multiply += pointwise_mul_short(fused) ? 1 : 0;
    std::vector<std::int8_t> x = c.input;
    if (dsp::short_output(p)) {
      ++short_stage;
      conv2d_s8_fast_short_mul(p, fused, x.data(), reordered.data(), folded.data(), actual.data());
    } else {
      conv2d_s8_fast_any_mul(p, fused, x.data(), reordered.data(), folded.data(), actual.data());
    }
    ASSERT_EQ(actual, expected) << "case " << i << ": " << describe(p);
  }
  EXPECT_GT(short_stage, 30);
  EXPECT_LT(short_stage, 270);
  EXPECT_GT(short_multiply, 200);  // both multiply stages ran
  EXPECT_LT(short_multiply, 300);
}

}  // namespace
}  // namespace tinyscale::device
