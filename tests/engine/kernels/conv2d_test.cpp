#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;

core::Attributes window(int kernel, int stride = 1, int pad = 0, int groups = 1) {
  core::Attributes a;
  a.kernel_h = a.kernel_w = kernel;
  a.stride_h = a.stride_w = stride;
  a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = pad;
  a.groups = groups;
  return a;
}

// x = {2, 3} (q {3, 5}, scale 0.5, zp -1), w = {1, -0.5} (scale 0.25), bias b (scale 0.125):
// acc = 4·4 + 6·(-2) + bias_q, output scale 1 → multiplier 0.125 = (2^30, -2).
std::int8_t conv_1x1(std::int32_t bias_q) {
  const KernelRun r = run_kernel(core::OpType::conv2d,
                                 {int8_tensor({1, 1, 1, 2}, 0.5f, -1, {3, 5}),
                                  int8_constant({1, 1, 1, 2}, per_tensor(0.25f, 0), {4, -2}),
                                  int32_constant({1}, {0.125f}, {bias_q})},
                                 window(1), int8_output(1.0f, 0));
  EXPECT_EQ(r.prepare_status, Status::ok) << r.error;
  return r.values<std::int8_t>().at(0);
}

TEST(Conv2dInt8, OneByOneRequantizesWithDoubleRounding) {
  EXPECT_EQ(conv_1x1(8), 2);     // acc 12 → 1.5 → 2
  EXPECT_EQ(conv_1x1(-40), -5);  // acc -36 → -4.5 → -5 (half away from zero)
  EXPECT_EQ(conv_1x1(-1), 1);    // acc 3 → 0.375 → 1: double rounding (single rounding gives 0)
}

TEST(Conv2dInt8, PerChannelScalesDifferPerOutput) {
  // Same weights, channel scales 1 and 0.25: real outputs 2·1+3·1 = 5 and 5·0.25 = 1.25.
  const KernelRun r =
      run_kernel(core::OpType::conv2d,
                 {int8_tensor({1, 1, 1, 2}, 0.5f, -1, {3, 5}),
                  int8_constant({2, 1, 1, 2}, per_channel({1.0f, 0.25f}), {1, 1, 1, 1}),
                  int32_constant({2}, {0.5f, 0.125f}, {0, 0})},
                 window(1), int8_output(0.25f, 0));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{20, 5}));
}

TEST(Conv2dInt8, DepthwiseWithMultiplierPadsWithTheZeroPoint) {
  // Input 2x2x1 = {1, 2, 3, 4} (zp 10); depth multiplier 2; 3x3 kernel, padding 1.
  // Channel 0 weights 1..9 (scale 1); channel 1 all 2 (scale 0.5, i.e. 1.0 each).
  I8 w;
  for (int i = 1; i <= 9; ++i) w.push_back(static_cast<std::int8_t>(i));
  for (int i = 0; i < 9; ++i) w.push_back(2);
  const KernelRun r = run_kernel(core::OpType::conv2d,
                                 {int8_tensor({1, 2, 2, 1}, 1.0f, 10, {11, 12, 13, 14}),
                                  int8_constant({2, 3, 3, 1}, per_channel({1.0f, 0.5f}), w),
                                  int32_constant({2}, {1.0f, 0.5f}, {0, 0})},
                                 window(3, 1, 1, 1), int8_output(1.0f, -5));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  // Channel 0: 77, 67, 47, 37 (dot products of the visible 2x2 with the shifted kernel);
  // channel 1: the sum 10 everywhere. Output zero point -5.
  EXPECT_EQ(r.values<std::int8_t>(), (I8{72, 5, 62, 5, 42, 5, 32, 5}));
}

TEST(Conv2dInt8, FusedRelu6ClampsInTheOutputScale) {
  core::Attributes a = window(1);
  a.fused_activation = core::FusedActivation::relu6;
  // Output scale 0.1, zp -128: relu6 clamps to [-128, -68]. Inputs give 10.0 and -3.0.
  const KernelRun r = run_kernel(
      core::OpType::conv2d,
      {int8_tensor({1, 1, 2, 1}, 1.0f, 0, {10, -3}),
       int8_constant({1, 1, 1, 1}, per_tensor(1.0f, 0), {1}), int32_constant({1}, {1.0f}, {0})},
      a, int8_output(0.1f, -128));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.values<std::int8_t>(), (I8{-68, -128}));
}

TEST(Conv2dFloat, DilatedAsymmetricPadding) {
  core::Attributes a = window(2);
  a.dilation_h = a.dilation_w = 2;
  a.pad_top = 1;
  a.pad_left = 0;
  a.pad_bottom = 0;
  a.pad_right = 1;
  // Input 3x3 = 1..9; 2x2 kernel dilated to 3x3 span; output 2x2.
  std::vector<float> x;
  for (int i = 1; i <= 9; ++i) x.push_back(static_cast<float>(i));
  const KernelRun r =
      run_kernel(core::OpType::conv2d,
                 {float_tensor({1, 3, 3, 1}, x), float_constant({1, 2, 2, 1}, {1, 10, 100, 1000}),
                  float_constant({1}, {0.5f})},
                 a, float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  // (0,0): rows -1,1 cols 0,2 → 100·x(1,0)+1000·x(1,2) = 400 + 6000; (0,1): cols 1,3 → 100·5.
  // (1,0): rows 0,2 → 1·1 + 10·3 + 100·7 + 1000·9; (1,1): 1·2 + 100·8.
  EXPECT_EQ(r.values<float>(), (std::vector<float>{6400.5f, 500.5f, 9731.5f, 802.5f}));
}

TEST(Conv2dInt8, MatchesFloatKernelOnRandomData) {
  std::mt19937 rng(7);
  struct Case {
    int groups, in_c, out_c, kernel, stride, dilation, pad;
  };
  for (const Case c :
       {Case{1, 3, 8, 3, 2, 1, 1}, Case{4, 4, 8, 3, 1, 2, 2}, Case{2, 6, 4, 1, 1, 1, 0}}) {
    core::Attributes a = window(c.kernel, c.stride, c.pad, c.groups);
    a.dilation_h = a.dilation_w = c.dilation;
    a.pad_right = 0;  // asymmetric
    const float in_scale = 0.05f;
    std::vector<float> w_scales, b_scales;
    for (int o = 0; o < c.out_c; ++o) {
      w_scales.push_back(0.002f * static_cast<float>(o + 1));
      b_scales.push_back(in_scale * w_scales.back());
    }
    const auto w_elems =
        static_cast<std::size_t>(c.out_c * c.kernel * c.kernel * (c.in_c / c.groups));
    property_vs_float(
        core::OpType::conv2d,
        {int8_tensor({1, 9, 9, c.in_c}, in_scale, 5, random_int8(rng, 81u * c.in_c)),
         int8_constant({c.out_c, c.kernel, c.kernel, c.in_c / c.groups}, per_channel(w_scales),
                       random_int8(rng, w_elems, -127, 127)),
         int32_constant({c.out_c}, b_scales,
                        random_int32(rng, static_cast<std::size_t>(c.out_c), -2000, 2000))},
        a, int8_output(0.08f, -3), 1.0);
  }
}

TEST(Conv2dInt8, PrepareRejectsBadInputs) {
  const TensorSpec x = int8_tensor({1, 2, 2, 1}, 0.5f, 0, {1, 2, 3, 4});
  const TensorSpec w = int8_constant({1, 1, 1, 1}, per_tensor(1.0f, 0), {1});
  const TensorSpec b = int32_constant({1}, {0.5f}, {0});
  // No bias: TFLite's quantized CONV_2D requires one.
  KernelRun r = run_kernel(core::OpType::conv2d, {x, w}, window(1), int8_output(1.0f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_model);
  EXPECT_NE(r.error.find("needs a bias"), std::string::npos) << r.error;
  // Float weights under an int8 input.
  r = run_kernel(core::OpType::conv2d, {x, float_constant({1, 1, 1, 1}, {1.0f}), b}, window(1),
                 int8_output(1.0f, 0));
  EXPECT_EQ(r.prepare_status, Status::unsupported_op);
  EXPECT_NE(r.error.find("float32"), std::string::npos) << r.error;
  // Input without quantization.
  TensorSpec bare = x;
  bare.quantization = {};
  r = run_kernel(core::OpType::conv2d, {bare, w, b}, window(1), int8_output(1.0f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_FALSE(r.error.empty());
  // Output shape that does not match the window.
  OutputSpec out = int8_output(1.0f, 0);
  out.shape = core::Shape{1, 3, 3, 1};
  r = run_kernel(core::OpType::conv2d, {x, w, b}, window(1), out);
  EXPECT_EQ(r.prepare_status, Status::invalid_model);
  EXPECT_NE(r.error.find("node"), std::string::npos) << r.error;
  // Per-channel scale count that matches no axis.
  r = run_kernel(core::OpType::conv2d,
                 {x, int8_constant({1, 1, 1, 1}, per_channel({1.0f, 2.0f}), {1}), b}, window(1),
                 int8_output(1.0f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
}

}  // namespace
}  // namespace tinyscale::engine::testing
