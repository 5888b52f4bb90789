// conv2d_s8_gemm_fast against its oracle conv2d_s8 (issue 16): random full convolutions
// (kernels 1x1 padded up to 5x5, odd channel counts and in_c % 4 of every value, odd pixel
// counts, strides 1-3, padding on either side, zero points at the extremes, per-tensor and
// per-channel shifts of both signs, activation ranges, with and without an output table)
// must give byte-identical outputs with the bias folded (bias + input_offset * sum(w), as
// conv2d_s8_fold_bias does for the code generator) and the weights reordered
// (conv2d_s8_gemm_fast_reorder_weights); it gets no scratch (its columns live in the
// unwritten output) and must not write past its output (canaries after it).
#include "engine/kernels/device/conv2d_gemm_fast.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/conv2d.h"
#include "tests/engine/kernels/device/conv_case.h"

namespace tinyscale::device {
namespace {

using Case = ConvCase;

// folded[oc] = bias[oc] + input_offset * sum(weights of oc), wrapping as int32.
std::vector<std::int32_t> fold(const Conv2dS8Params& p, const std::vector<std::int8_t>& w,
                               const std::vector<std::int32_t>& bias) {
  const int k = p.kernel_h * p.kernel_w * p.in_c;
  std::vector<std::int32_t> folded(static_cast<std::size_t>(p.out_c));
  for (int oc = 0; oc < p.out_c; ++oc) {
    std::uint32_t sum = 0;
    for (int i = 0; i < k; ++i)
      sum += static_cast<std::uint32_t>(w[static_cast<std::size_t>(oc * k + i)]);
    folded[static_cast<std::size_t>(oc)] =
        static_cast<std::int32_t>(static_cast<std::uint32_t>(bias[static_cast<std::size_t>(oc)]) +
                                  static_cast<std::uint32_t>(p.input_offset) * sum);
  }
  return folded;
}

Case random_case(std::mt19937& rng) {
  Case c;
  Conv2dS8Params& p = c.p;
  p.batches = pick(rng, 1, 2);
  p.in_c = pick(rng, 0, 2) == 0 ? 4 * pick(rng, 1, 16) : pick(rng, 1, 40);
  p.out_c = pick(rng, 1, 37);
  p.kernel_h = pick(rng, 1, 5);
  p.kernel_w = pick(rng, 1, 5);
  p.stride_h = pick(rng, 1, 3);
  p.stride_w = pick(rng, 1, 3);
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = pick(rng, 0, p.kernel_h - 1);
  p.pad_left = pick(rng, 0, p.kernel_w - 1);
  if (p.kernel_h == 1 && p.kernel_w == 1 && p.pad_top == 0) p.pad_left = 1;
  p.out_h = pick(rng, 1, 6);
  p.out_w = pick(rng, 1, 36 / p.out_h);
  // The input the output needs, give or take one: padding at the bottom/right is implicit.
  p.in_h = std::max(1, (p.out_h - 1) * p.stride_h + p.kernel_h - p.pad_top - pick(rng, 0, 1));
  p.in_w = std::max(1, (p.out_w - 1) * p.stride_w + p.kernel_w - p.pad_left - pick(rng, 0, 1));
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
  std::vector<std::int8_t> expected(n, 0x55);
  conv2d_s8(p, c.input.data(), c.weights.data(), c.bias.data(), expected.data(), nullptr);
  const std::vector<std::int32_t> folded = fold(p, c.weights, c.bias);
  ASSERT_EQ(conv2d_s8_gemm_fast_scratch_bytes(p), 0);
  std::vector<std::int8_t> reordered(c.weights.size());
  conv2d_s8_gemm_fast_reorder_weights(p, c.weights.data(), reordered.data());
  // The output at every offset mod 4 (the columns in it start at a word boundary), with
  // canaries after it.
  for (std::size_t offset = 0; offset < 4; ++offset) {
    std::vector<std::int8_t> buffer(offset + n + 16, 0x55);
    std::int8_t* actual = buffer.data() + offset;
    conv2d_s8_gemm_fast(p, c.input.data(), reordered.data(), folded.data(), actual, nullptr);
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(), actual))
        << what << " (output offset " << offset << ")";
    for (std::size_t i = offset + n; i < buffer.size(); ++i) ASSERT_EQ(buffer[i], 0x55) << what;
  }
}

TEST(DeviceConv2dS8GemmFast, RandomFullConvolutionsMatchTheReferenceByteForByte) {
  std::mt19937 rng(1616);
  for (int i = 0; i < 500; ++i) {
    const Case c = random_case(rng);
    ASSERT_TRUE(conv2d_s8_gemm_fast_applies(c.p)) << describe(c.p);
    expect_same_as_reference(c, "case " + std::to_string(i) + ": " + describe(c.p));
  }
}

// The layers the quads take (conv2d_s8_gemm_fast_takes_quads: TFLite's usual per-channel
// stage, out_c % 4 == 0, window rows of a multiple of 4 values): one input channel with
// kernels 4 or 8 wide (the windows cut at every edge, shifted words), 4 to 12 channels (whole
// taps per word), any stride and padding, maps grown until the quads take them, odd pixel
// counts (the last pixel alone), and at every output offset mod 4 (expect_same_as_reference).
TEST(DeviceConv2dS8GemmFast, QuadLayersMatchTheReferenceByteForByte) {
  std::mt19937 rng(404);
  for (int i = 0; i < 300; ++i) {
    Case c = random_case(rng);
    Conv2dS8Params& p = c.p;
    p.out_c = p.out_c_per_group = 4 * pick(rng, 1, 9);
    if (pick(rng, 0, 1) == 0) {
      p.in_c = p.in_c_per_group = 1;
      p.kernel_w = 4 * pick(rng, 1, 2);
      p.pad_left = pick(rng, 0, p.kernel_w - 1);
    } else {
      p.in_c = p.in_c_per_group = 4 * pick(rng, 1, 3);
    }
    if (p.kernel_h * p.kernel_w * p.in_c < 16) p.kernel_h = 4;
    p.pad_top = std::min(p.pad_top, p.kernel_h - 1);
    p.in_h = std::max(1, (p.out_h - 1) * p.stride_h + p.kernel_h - p.pad_top - pick(rng, 0, 1));
    p.in_w = std::max(1, (p.out_w - 1) * p.stride_w + p.kernel_w - p.pad_left - pick(rng, 0, 1));
    do {
      random_output_stage(rng, c);
    } while (!dsp::short_output(p) || p.requant_channels != p.out_c);
    while (!conv2d_s8_gemm_fast_takes_quads(p)) {  // a map large enough for the quads
      p.out_h += 2;
      p.out_w += 1;
      p.in_h = (p.out_h - 1) * p.stride_h + p.kernel_h - p.pad_top;
      p.in_w = (p.out_w - 1) * p.stride_w + p.kernel_w - p.pad_left;
    }
    fill_random(rng, c.input, static_cast<std::size_t>(p.batches * p.in_h * p.in_w * p.in_c));
    fill_random(rng, c.weights,
                static_cast<std::size_t>(p.out_c * p.kernel_h * p.kernel_w * p.in_c));
    ASSERT_TRUE(conv2d_s8_gemm_fast_applies(p)) << describe(p);
    ASSERT_TRUE(conv2d_s8_gemm_fast_takes_quads(p)) << describe(p);
    expect_same_as_reference(c, "case " + std::to_string(i) + ": " + describe(p));
  }
}

// The shapes the nets use: DS-CNN's first convolution (10x4, stride 2, one input channel),
// PhiNet's (3x3 stride 2 on RGB), XiNet's 3x3 at strides 1 and 2.
TEST(DeviceConv2dS8GemmFast, NetworkShapesMatch) {
  struct Shape {
    int in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride, pad_top, pad_left;
  };
  const Shape shapes[] = {{49, 10, 1, 25, 5, 64, 10, 4, 2, 4, 1},
                          {24, 24, 3, 12, 12, 8, 3, 3, 2, 0, 0},
                          {12, 12, 16, 12, 12, 24, 3, 3, 1, 1, 1},
                          {12, 12, 20, 6, 6, 13, 3, 3, 2, 1, 1}};
  std::mt19937 rng(7);
  for (const Shape& s : shapes) {
    Case c = random_case(rng);
    Conv2dS8Params& p = c.p;
    p.batches = 1;
    p.in_h = s.in_h, p.in_w = s.in_w, p.in_c = p.in_c_per_group = s.in_c;
    p.out_h = s.out_h, p.out_w = s.out_w, p.out_c = p.out_c_per_group = s.out_c;
    p.kernel_h = s.k_h, p.kernel_w = s.k_w, p.stride_h = p.stride_w = s.stride;
    p.pad_top = s.pad_top, p.pad_left = s.pad_left;
    p.requant_channels = 1;
    c.input.resize(static_cast<std::size_t>(s.in_h * s.in_w * s.in_c));
    for (auto& x : c.input) x = static_cast<std::int8_t>(pick(rng, -128, 127));
    c.weights.resize(static_cast<std::size_t>(s.out_c * s.k_h * s.k_w * s.in_c));
    for (auto& x : c.weights) x = static_cast<std::int8_t>(pick(rng, -128, 127));
    c.bias.assign(static_cast<std::size_t>(s.out_c), 1234);
    ASSERT_TRUE(conv2d_s8_gemm_fast_applies(p)) << describe(p);
    expect_same_as_reference(c, describe(p));
  }
}

TEST(DeviceConv2dS8GemmFast, ExtremeValuesAndZeroPointsMatch) {
  // Every input at one end of int8 with the zero point at the other (x + offset = +-255),
  // weights -128, a padded border (the padding's taps count as the zero point).
  for (const int zero_point : {127, -128}) {
    Case c;
    Conv2dS8Params& p = c.p;
    p = {1, 5, 5,  32, 5,           5,    9,    3,   3, 1,       1,       1,      1,
         1, 1, 32, 9,  -zero_point, -128, -128, 127, 1, nullptr, nullptr, nullptr};
    c.input.assign(5 * 5 * 32, static_cast<std::int8_t>(zero_point == 127 ? -128 : 127));
    c.weights.assign(9 * 9 * 32, -128);
    c.bias.assign(9, 0);
    c.multipliers = {1 << 30};
    c.shifts = {-18};
    p.multipliers = c.multipliers.data();
    p.shifts = c.shifts.data();
    ASSERT_TRUE(conv2d_s8_gemm_fast_applies(p));
    expect_same_as_reference(c, "zero point " + std::to_string(zero_point));
  }
}

TEST(DeviceConv2dS8GemmFast, ReorderedWeightsArePairedGroupsThenTails) {
  // 3 channels, K = 1 * 1 * 6 (one group of 4, a tail of 2): channels 0 and 1 as a pair,
  // channel 2 alone; each group as (w0, w2, w1, w3).
  Conv2dS8Params p{};
  p.kernel_h = p.kernel_w = 1;
  p.in_c = 6;
  p.out_c = 3;
  std::vector<std::int8_t> w(18), r(18);
  for (int i = 0; i < 18; ++i) w[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i);
  conv2d_s8_gemm_fast_reorder_weights(p, w.data(), r.data());
  const std::vector<std::int8_t> expected = {0, 2,  1,  3,  6,  8,  7,  9,  4,
                                             5, 10, 11, 12, 14, 13, 15, 16, 17};
  EXPECT_EQ(r, expected);
}

TEST(DeviceConv2dS8GemmFast, AppliesToFullConvolutionsOnly) {
  const std::int32_t m[1] = {1 << 30};
  const std::int8_t s[1] = {0};
  const Conv2dS8Params full = {1, 8, 8, 8,  8, 8, 16,   3,   3, 1, 1, 1,      1,
                               1, 1, 8, 16, 0, 0, -128, 127, 1, m, s, nullptr};
  EXPECT_TRUE(conv2d_s8_gemm_fast_applies(full));
  EXPECT_EQ(conv2d_s8_gemm_fast_scratch_bytes(full), 0);
  Conv2dS8Params p = full;
  p.kernel_h = p.kernel_w = 1;
  p.pad_top = p.pad_left = 0;  // pointwise: conv2d_s8_fast's
  EXPECT_FALSE(conv2d_s8_gemm_fast_applies(p));
  p.pad_top = 1;  // padded 1x1
  EXPECT_TRUE(conv2d_s8_gemm_fast_applies(p));
  p = full;
  p.in_c_per_group = 1;  // depthwise
  p.out_c_per_group = 2;
  EXPECT_FALSE(conv2d_s8_gemm_fast_applies(p));
  p = full;
  p.dilation_h = 2;
  EXPECT_FALSE(conv2d_s8_gemm_fast_applies(p));
}

}  // namespace
}  // namespace tinyscale::device
