#include "export/quantizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/passes.h"
#include "engine/engine.h"
#include "export/onnx_reader.h"
#include "export/tflite_reader.h"
#include "export/tflite_writer.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "tests/support/trained_like.h"

namespace tinyscale::exporter {
namespace {

using testing_support::cosine;
// The first output as floats (tests/support/trained_like.h).
std::vector<float> run(const core::Graph& g, const std::vector<float>& input) {
  return testing_support::run_outputs(g, input)[0];
}

// Random init with identity BatchNorm lets the signal vanish through depth (the output
// becomes the classifier bias, whatever the input). Like the interop fixtures' calibrated
// BatchNorm statistics, rescale every convolution of the lowered graph, in order, so its
// output channels have zero mean and unit variance over the samples: a network whose
// output depends on its input, so that int8 vs float means something.
core::Graph standardize_convolutions(core::Graph g,
                                     const std::vector<std::vector<float>>& samples) {
  return testing_support::standardize_convolutions(std::move(g), samples,
                                                   [](const core::Node&) { return 0.0; });
}

void expect_close_to_float(const core::Graph& built, const char* what, double min_cosine) {
  const auto calibration = synthetic_calibration(built, 16, 7);
  const core::Graph lowered =
      standardize_convolutions(core::lower_for_deployment(built), calibration);
  const core::Graph& float_graph = lowered;
  const core::Graph q = quantize(float_graph, calibration, {});
  const auto test_inputs = synthetic_calibration(float_graph, 4, 99);
  std::vector<float> first;
  for (const auto& x : test_inputs) {
    const std::vector<float> f = run(lowered, x);
    // The float network must react to its input, or the comparison proves nothing.
    if (first.empty()) {
      first = f;
    } else {
      EXPECT_LT(cosine(first, f), 0.999)
          << what << ": the float output does not depend on the input";
    }
    const std::vector<float> i8 = run(q, x);
    const double c = cosine(f, i8);
    std::printf("  %s: cosine(int8, float) = %.5f\n", what, c);
    EXPECT_GE(c, min_cosine) << what;
  }
}

// A model input that makes 32 synthetic samples pass kMaxCalibrationBytes (32 x 192 MiB) is
// refused before any sample is allocated, naming the limit.
TEST(Quantizer, CalibrationSetOverTheLimitIsRefused) {
  core::Graph g;
  const int x = g.add_input("image", {1, 4096, 4096, 3});
  g.mark_output(g.add_node(core::OpType::relu, "relu", {x}));
  const std::string expected =
      "synthetic calibration: 32 calibration samples of input 'image' (1x4096x4096x3 float32) "
      "needs 6442450944 bytes, over the 512 MiB limit for calibration data "
      "(kMaxCalibrationBytes)";
  for (const bool images : {false, true}) {
    try {
      (void)(images ? synthetic_images(g, 32, 1) : synthetic_calibration(g, 32, 1));
      ADD_FAILURE() << "a 6 GiB calibration set was made";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
  }
}

TEST(Quantizer, PhiNetInt8FollowsFloat) {
  nets::PhiNetConfig c;
  c.input = {3, 64, 64};
  c.alpha = 0.5;
  c.include_top = true;
  // Measured layer by layer, the int8/float cosine drops by about 3e-4 per layer through this
  // random, standardized 8-block network (no single layer stands out: rounding noise that
  // a random network amplifies), ending at 0.91–0.99 on the logits. The 0.99 bar
  // is for the PyTorch fixtures (export tests); here we guard against gross errors.
  expect_close_to_float(nets::build_phinet(c, {.materialize_weights = true, .seed = 3}),
                        "PhiNet 3x64x64", 0.9);
}

TEST(Quantizer, XiNetInt8FollowsFloat) {
  nets::XiNetConfig c;
  c.input = {3, 64, 64};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 10;
  expect_close_to_float(nets::build_xinet(c, {.materialize_weights = true, .seed = 3}),
                        "XiNet 3x64x64", 0.99);
}

// An adaptive average pool with uneven bins, quantized and written: its slices, pools and
// concatenations keep the input's quantization, and the int8 file run by the engine is
// within one output step of the float pool of the same (dequantized) input: one rounding
// per pooling pass, rows then columns for 56 -> 3, a single pool for 7 -> 3.
TEST(Quantizer, UnevenAdaptivePoolStaysWithinAStepOfFloat) {
  struct Case {
    std::int64_t size;
    int out;
    double max_steps;
  };
  for (const Case t : {Case{56, 3, 1.0}, Case{7, 3, 0.5}, Case{13, 4, 1.0}}) {
    core::Graph f;
    const int x = f.add_input("x", {1, t.size, t.size, 4});
    core::Attributes a;
    a.out_h = a.out_w = t.out;
    f.mark_output(f.add_node(core::OpType::adaptive_avg_pool, "pool", {x}, a));
    const auto calibration = synthetic_calibration(f, 4, 3);
    const core::Graph q =
        read_tflite_buffer(write_tflite_buffer(quantize(f, calibration, {})), "adaptive.tflite");
    const core::Quantization& in_q = q.tensor(q.inputs[0]).quantization;
    for (const core::Node& n : q.nodes) {
      EXPECT_NE(n.op, core::OpType::adaptive_avg_pool);
      EXPECT_EQ(q.tensor(n.outputs[0]).quantization.scales, in_q.scales) << n.name;
      EXPECT_EQ(q.tensor(n.outputs[0]).quantization.zero_points, in_q.zero_points) << n.name;
    }
    const float step = in_q.scales[0];
    const auto zero = static_cast<float>(in_q.zero_points[0]);
    for (const std::vector<float>& sample : synthetic_calibration(f, 3, 11)) {
      std::vector<float> dequantized(sample.size());  // what the int8 model sees
      for (std::size_t k = 0; k < sample.size(); ++k) {
        const float v = std::clamp(std::round(sample[k] / step) + zero, -128.0f, 127.0f);
        dequantized[k] = (v - zero) * step;
      }
      const std::vector<float> expected = run(core::lower_for_deployment(f), dequantized);
      const std::vector<float> got = run(q, sample);
      ASSERT_EQ(got.size(), expected.size());
      for (std::size_t k = 0; k < got.size(); ++k) {
        EXPECT_LE(std::fabs(got[k] - expected[k]), t.max_steps * step * 1.0001)
            << t.size << " -> " << t.out << ", element " << k;
      }
    }
  }
}

// A BatchNorm after an activation (PhiNet's --conv2d-input stem and the blocks' BN after
// h-swish) has no convolution to fold into: it is exported as MUL + ADD by per-channel int8
// constants, and the int8 network still follows the float one.
TEST(Quantizer, LoneBatchNormBecomesQuantizedMulAndAdd) {
  nets::PhiNetConfig c;
  c.input = {3, 64, 64};
  c.conv2d_input = true;
  const core::Graph built = nets::build_phinet(c, {.materialize_weights = true, .seed = 4});
  const core::Graph q = quantize(built, synthetic_calibration(built, 4, 1), {});
  int scales = 0;
  for (const core::Node& n : q.nodes) {
    ASSERT_NE(n.op, core::OpType::batch_norm);
    if (n.op != core::OpType::mul || !q.tensor(n.inputs[1]).is_constant) continue;
    const core::Tensor& scale = q.tensor(n.inputs[1]);
    EXPECT_EQ(scale.dtype, core::DType::int8) << scale.name;
    EXPECT_EQ(scale.quantization.scales.size(), 1u) << scale.name;  // per-tensor, as MUL takes
    EXPECT_EQ(scale.shape, (core::Shape{q.tensor(n.inputs[0]).shape.back()}));
    ++scales;
  }
  EXPECT_GE(scales, 1);
  expect_close_to_float(built, "PhiNet 3x64x64 conv2d_input", 0.98);
}

// The same with statistics that differ from channel to channel (a trained BatchNorm: scales
// from 0.3 to 3, shifts of either sign), where one per-tensor int8 scale has to hold them all.
TEST(Quantizer, LoneBatchNormWithSpreadStatisticsFollowsFloat) {
  constexpr int kChannels = 16;
  core::Graph f;
  const int x = f.add_input("x", {1, 12, 12, 3});
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> w(kChannels * 3 * 3 * 3), gamma, beta, mean, var;
  for (float& v : w) v = 0.3f * u(rng);
  for (int c = 0; c < kChannels; ++c) {
    gamma.push_back(0.3f + 2.7f * static_cast<float>(c) / (kChannels - 1));
    beta.push_back(u(rng));
    mean.push_back(0.5f * u(rng));
    var.push_back(0.5f + 0.5f * (u(rng) + 1.0f));
  }
  core::Attributes conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = conv.pad_bottom = conv.pad_left = conv.pad_right = 1;
  const int y = f.add_node(core::OpType::conv2d, "conv",
                           {x, f.add_constant("conv.weight", {kChannels, 3, 3, 3}, w)}, conv);
  const int r = f.add_node(core::OpType::relu, "act", {y});
  core::Attributes bn;
  bn.epsilon = 1e-3f;
  f.mark_output(f.add_node(core::OpType::batch_norm, "bn",
                           {r, f.add_constant("bn.weight", {kChannels}, gamma),
                            f.add_constant("bn.bias", {kChannels}, beta),
                            f.add_constant("bn.running_mean", {kChannels}, mean),
                            f.add_constant("bn.running_var", {kChannels}, var)},
                           bn));
  const auto calibration = synthetic_calibration(f, 8, 2);
  const core::Graph q = quantize(f, calibration, {});
  const float out_step = q.tensor(q.outputs[0]).quantization.scales[0];
  double worst = 0.0;
  // On the calibration samples, so that no value falls outside its calibrated range: what
  // is measured is the lowering and its rounding, not the calibration's coverage.
  for (const std::vector<float>& sample : calibration) {
    const std::vector<float> expected = run(f, sample);  // the float BatchNorm kernel
    const std::vector<float> got = run(q, sample);
    EXPECT_GE(cosine(expected, got), 0.999);
    for (std::size_t k = 0; k < got.size(); ++k)
      worst = std::max(worst, static_cast<double>(std::fabs(got[k] - expected[k])));
  }
  std::printf("  lone BatchNorm: worst |int8 - float| = %.2f output steps\n", worst / out_step);
  EXPECT_LE(worst, 3.0 * out_step);
}

TEST(Quantizer, FollowsTfliteRules) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.include_top = true;
  const core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 1});
  const core::Graph q = quantize(f, synthetic_calibration(f, 4, 1), {});
  for (const core::Node& n : q.nodes) {
    const core::Tensor& out = q.tensor(n.outputs[0]);
    ASSERT_EQ(out.dtype, core::DType::int8) << n.name;
    if (n.op == core::OpType::sigmoid) {
      EXPECT_FLOAT_EQ(out.quantization.scales[0], 1.0f / 256.0f);
      EXPECT_EQ(out.quantization.zero_points[0], -128);
    }
    if (n.op == core::OpType::conv2d) {
      const core::Tensor& w = q.tensor(n.inputs[1]);
      EXPECT_EQ(w.dtype, core::DType::int8);
      EXPECT_EQ(static_cast<std::int64_t>(w.quantization.scales.size()), w.shape[0])
          << n.name;  // per-channel
      for (std::int8_t v : w.values<std::int8_t>()) EXPECT_GE(v, -127);
      if (n.inputs.size() < 3) continue;  // squeeze-excite convs have no BatchNorm, no bias
      const core::Tensor& b = q.tensor(n.inputs[2]);
      EXPECT_EQ(b.dtype, core::DType::int32);
      EXPECT_NEAR(b.quantization.scales[0],
                  q.tensor(n.inputs[0]).quantization.scales[0] * w.quantization.scales[0], 1e-12);
    }
    if (n.op == core::OpType::reshape) {
      EXPECT_EQ(out.quantization.scales, q.tensor(n.inputs[0]).quantization.scales);
    }
  }
}

TEST(Quantizer, FloatInputOutputAddsQuantizeAndDequantize) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.include_top = true;
  const core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 1});
  QuantizeOptions o;
  o.float_io = true;
  const core::Graph q = quantize(f, synthetic_calibration(f, 4, 1), o);
  EXPECT_EQ(q.nodes.front().op, core::OpType::quantize);
  EXPECT_EQ(q.nodes.back().op, core::OpType::dequantize);
  EXPECT_EQ(q.tensor(q.inputs[0]).dtype, core::DType::float32);
  EXPECT_EQ(q.tensor(q.outputs[0]).dtype, core::DType::float32);
}

// input [1,1,1,2] -> 1x1 conv with 2 output channels: channel 0 has all-zero weights and
// bias 0.5 (a zero-initialized head), channel 1 sums the inputs.
core::Graph zero_channel_graph() {
  core::Graph g;
  const int x = g.add_input("x", {1, 1, 1, 2});
  const std::vector<float> weights{0.0f, 0.0f, 1.0f, 1.0f};
  const std::vector<float> bias{0.5f, 0.0f};
  const int w = g.add_constant("w", {2, 1, 1, 2}, weights);
  const int b = g.add_constant("b", {2}, bias);
  core::Tensor y_tensor;
  y_tensor.name = "y";
  y_tensor.shape = {1, 1, 1, 2};
  const int y = g.add_tensor(y_tensor);
  core::Node conv;
  conv.op = core::OpType::conv2d;
  conv.name = "conv";
  conv.inputs = {x, w, b};
  conv.outputs = {y};
  g.nodes.push_back(conv);
  g.outputs = {y};
  return g;
}

TEST(Quantizer, AllZeroWeightChannelKeepsItsBias) {
  const core::Graph f = zero_channel_graph();
  const std::vector<std::vector<float>> calibration = {{1.0f, -1.0f}, {-1.0f, 1.0f}, {1.0f, 1.0f}};
  const core::Graph q = quantize(f, calibration, {});
  const std::vector<float> y = run(q, {0.25f, 0.5f});
  // Output range [-2, 2] (and the bias's 0.5): a step of 4/255; the bias must survive.
  EXPECT_NEAR(y[0], 0.5f, 0.02f);
  EXPECT_NEAR(y[1], 0.75f, 0.02f);
}

// input [1,1,1,1] -> 1x1 conv (weight 10) -> y -> hard_swish -> z.
core::Graph conv_hard_swish_graph() {
  core::Graph g;
  const int x = g.add_input("x", {1, 1, 1, 1});
  const int w = g.add_constant("w", {1, 1, 1, 1}, std::vector<float>{10.0f});
  const int b = g.add_constant("b", {1}, std::vector<float>{0.0f});
  core::Tensor t;
  t.shape = {1, 1, 1, 1};
  t.name = "y";
  const int y = g.add_tensor(t);
  t.name = "z";
  const int z = g.add_tensor(t);
  core::Node conv;
  conv.op = core::OpType::conv2d;
  conv.name = "conv";
  conv.inputs = {x, w, b};
  conv.outputs = {y};
  g.nodes.push_back(conv);
  core::Node act;
  act.op = core::OpType::hard_swish;
  act.name = "hswish";
  act.inputs = {y};
  act.outputs = {z};
  g.nodes.push_back(act);
  g.outputs = {z};
  return g;
}

TEST(Quantizer, InputOfHardSwishIsNotSpentBelowMinusThree) {
  // Calibration puts y in [-15, 10]; hard_swish is 0 for y <= -3, so y's range is
  // [-3 - a step, 10]: about 13/255 per step instead of 25/255.
  const core::Graph f = conv_hard_swish_graph();
  const std::vector<std::vector<float>> calibration = {{-1.5f}, {-0.2f}, {0.4f}, {1.0f}};
  const core::Graph q = quantize(f, calibration, {});
  const core::Quantization& yq = q.tensor(q.nodes[0].outputs[0]).quantization;
  const double lowest = (-128.0 - static_cast<double>(yq.zero_points[0])) * yq.scales[0];
  EXPECT_LE(lowest, -3.0);  // still saturates hard_swish
  EXPECT_GE(lowest, -3.2);
  EXPECT_LT(yq.scales[0], 13.2f / 255.0f);
  const auto hard_swish = [](double v) { return v * std::clamp(v + 3.0, 0.0, 6.0) / 6.0; };
  const float z_step = q.tensor(q.outputs[0]).quantization.scales[0];
  for (float x = -1.5f; x <= 1.0f; x += 0.05f) {
    const float z = run(q, {x})[0];
    // y's step (0.05) times hard_swish's slope (at most 1.5), plus z's own rounding.
    EXPECT_NEAR(z, hard_swish(10.0 * x), 0.08 + z_step) << "x = " << x;
  }
}

TEST(Quantizer, VanishingSigmoidInputIsWidenedToWhatTheKernelTakes) {
  // A random-init squeeze-excite can give a sigmoid input of ~1e-9: its range is widened to
  // a step of 2^-20 so TFLite Micro's LOGISTIC is defined, and the output is 0.5.
  core::Graph f;
  const int x = f.add_input("x", {1, 1, 1, 1});
  const int w = f.add_constant("w", {1, 1, 1, 1}, std::vector<float>{1e-9f});
  const int b = f.add_constant("b", {1}, std::vector<float>{0.0f});
  const int y = f.add_node(core::OpType::conv2d, "conv", {x, w, b}, {});
  f.mark_output(f.add_node(core::OpType::sigmoid, "sigmoid", {y}));
  const core::Graph q = quantize(f, {{{-1.0f}, {1.0f}}}, {});
  EXPECT_GE(q.tensor(y).quantization.scales[0], 1.0f / (1 << 20) * 0.99f);
  EXPECT_NEAR(run(q, {0.5f})[0], 0.5f, 1.0f / 256);
}

TEST(Quantizer, ConcatenationSharesOneQuantizationAndRequantizesAFixedInput) {
  // x -> conv a (weight 1), conv b (weight 10), sigmoid(a); concat(a, b, sigmoid(a)).
  // TFLite's int8 CONCATENATION needs every input's scale and zero point equal to the
  // output's: a and b share the union of their ranges; sigmoid(a), fixed at 1/256, is
  // requantized by a QUANTIZE node.
  core::Graph f;
  const int x = f.add_input("x", {1, 1, 1, 1});
  const int a = f.add_node(core::OpType::conv2d, "a",
                           {x, f.add_constant("wa", {1, 1, 1, 1}, std::vector<float>{1.0f}),
                            f.add_constant("ba", {1}, std::vector<float>{0.0f})});
  const int b = f.add_node(core::OpType::conv2d, "b",
                           {x, f.add_constant("wb", {1, 1, 1, 1}, std::vector<float>{10.0f}),
                            f.add_constant("bb", {1}, std::vector<float>{0.0f})});
  const int s = f.add_node(core::OpType::sigmoid, "s", {a});
  core::Attributes axis;
  axis.axis = 3;
  f.mark_output(f.add_node(core::OpType::concat, "cat", {a, b, s}, axis));
  const core::Graph q = quantize(f, {{{-1.0f}, {0.5f}, {1.0f}}}, {});
  const core::Node& cat = q.nodes.back();
  ASSERT_EQ(cat.op, core::OpType::concat);
  const core::Quantization& out = q.tensor(cat.outputs[0]).quantization;
  for (int in : cat.inputs) {
    EXPECT_EQ(q.tensor(in).quantization.scales, out.scales) << q.tensor(in).name;
    EXPECT_EQ(q.tensor(in).quantization.zero_points, out.zero_points) << q.tensor(in).name;
  }
  EXPECT_NEAR(out.scales[0], 20.0f / 255.0f, 1e-6f);  // b's [-10, 10] covers a's [-1, 1]
  const auto requantize = std::find_if(q.nodes.begin(), q.nodes.end(), [](const core::Node& n) {
    return n.op == core::OpType::quantize;
  });
  ASSERT_NE(requantize, q.nodes.end());
  EXPECT_EQ(q.tensor(requantize->inputs[0]).quantization.scales[0], 1.0f / 256.0f);
  const std::vector<float> y = run(q, {0.5f});
  EXPECT_NEAR(y[0], 0.5f, 0.05f);
  EXPECT_NEAR(y[1], 5.0f, 0.05f);
  EXPECT_NEAR(y[2], 1.0f / (1.0f + std::exp(-0.5f)), 0.05f);
}

// input [1,1,1,1] -> 1x1 conv, 3 output channels (weights 0.5, 0.25, 1.0). Calibrated on
// ±1e-6, the input scale is ~7.8e-9, so bias_scale[c] = input_scale · weight_scale[c] is
// ~3.1e-11, ~1.5e-11, ~6.2e-11: bias 3.0 is ~1e11 steps (does not fit int32), bias b1 is
// 1.5e9 steps (fits int32 but not its middle half, TFLite's bound), bias 0.001 is 1.6e7.
TEST(Quantizer, BiasThatDoesNotFitInt32EnlargesItsWeightScaleAndWarns) {
  const float input_scale = 2e-6f / 255.0f;  // [-1e-6, 1e-6] (checked below)
  const double b1 = 1.5e9 * static_cast<double>(input_scale) * (0.25 / 127.0);
  core::Graph f;
  const int x = f.add_input("x", {1, 1, 1, 1});
  const int w = f.add_constant("w", {3, 1, 1, 1}, std::vector<float>{0.5f, 0.25f, 1.0f});
  const int b = f.add_constant("b", {3}, std::vector<float>{3.0f, static_cast<float>(b1), 1e-3f});
  f.mark_output(f.add_node(core::OpType::conv2d, "head.conv", {x, w, b}));
  const QuantizeResult r = quantize_with_warnings(f, {{{-1e-6f}, {1e-6f}}}, {});
  const core::Graph& q = r.graph;
  const float in_scale = q.tensor(q.inputs[0]).quantization.scales[0];
  ASSERT_NEAR(in_scale, input_scale, input_scale * 1e-6);

  // TFLite's new scale, 2 |bias| / ((2^31 - 1) · input_scale), on channels 0 and 1 only.
  const std::vector<float>& ws = q.tensor(w).quantization.scales;
  ASSERT_EQ(ws.size(), 3u);
  EXPECT_FLOAT_EQ(ws[0], static_cast<float>(2.0 * 3.0 / 2147483647.0 / in_scale));
  EXPECT_FLOAT_EQ(ws[1],
                  static_cast<float>(2.0 * static_cast<float>(b1) / 2147483647.0 / in_scale));
  EXPECT_FLOAT_EQ(ws[2], 1.0f / 127.0f);
  // The weights are requantized with the scales they are stored with (0.5 / 0.356 → 1).
  const auto wq = q.tensor(w).values<std::int8_t>();
  EXPECT_EQ(wq[0], static_cast<std::int8_t>(std::lround(0.5 / ws[0])));
  EXPECT_EQ(wq[1], static_cast<std::int8_t>(std::lround(0.25 / ws[1])));
  EXPECT_EQ(wq[2], 127);

  // The biases are exact, not clipped: a quarter of the int32 range, dequantizing back to
  // the float values (a clipped 2^31 - 1 would read back as 0.066 for channel 0).
  const core::Tensor& bias = q.tensor(b);
  const auto bq = bias.values<std::int32_t>();
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(static_cast<double>(bq[static_cast<std::size_t>(c)]), 1073741824.0, 64.0) << c;
  }
  EXPECT_NEAR(bq[0] * static_cast<double>(bias.quantization.scales[0]), 3.0, 3.0 * 1e-6);
  EXPECT_NEAR(bq[1] * static_cast<double>(bias.quantization.scales[1]), b1, b1 * 1e-6);
  EXPECT_EQ(bq[2], std::lround(static_cast<double>(1e-3f) /
                               (static_cast<double>(in_scale) * static_cast<double>(ws[2]))));

  // The int8 model outputs the bias (the input's contribution is ~1e-6).
  const std::vector<float> y = run(q, {0.0f});
  const float step = q.tensor(q.outputs[0]).quantization.scales[0];
  EXPECT_NEAR(y[0], 3.0f, step);

  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("'head.conv'"), std::string::npos) << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("2 of 3 output channels"), std::string::npos) << r.warnings[0];
}

// The README's `export phinet --input 3x96x96 --alpha 0.25 --include-top` with PyTorch's
// default initialization (`--init pytorch`): the signal fades to ~1e-8 before the
// classifier, whose input scale (~4e-11) put every classifier bias past int32 (written as
// ±2147483647, so the int8 model output the zero point for every input while the float
// model gives ±0.13).
TEST(Quantizer, ReadmePhiNetWithFadedSignalKeepsItsClassifierBias) {
  nets::PhiNetConfig c;
  c.input = {3, 96, 96};
  c.alpha = 0.25;
  c.include_top = true;
  const core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 0});
  const std::vector<std::vector<float>> calibration = synthetic_calibration(f, 8, 1);
  const QuantizeResult r = quantize_with_warnings(f, calibration, {});
  for (const core::Node& n : r.graph.nodes) {
    if (n.inputs.size() < 3 ||
        (n.op != core::OpType::conv2d && n.op != core::OpType::fully_connected))
      continue;
    for (std::int32_t v : r.graph.tensor(n.inputs[2]).values<std::int32_t>())
      ASSERT_LT(std::abs(static_cast<std::int64_t>(v)), 2147483647) << n.name;
  }
  bool named = false;
  for (const std::string& w : r.warnings) named |= w.find("'classifier.2'") != std::string::npos;
  EXPECT_TRUE(named) << (r.warnings.empty() ? "no warning" : r.warnings[0]);
  // int8 gives what float gives (the bias), within two output steps.
  const float step = r.graph.tensor(r.graph.outputs[0]).quantization.scales[0];
  const std::vector<float> x = synthetic_calibration(f, 1, 42)[0];
  const std::vector<float> want = run(core::lower_for_deployment(f), x);
  const std::vector<float> got = run(r.graph, x);
  ASSERT_EQ(got.size(), want.size());
  double largest = 0.0;
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_NEAR(got[k], want[k], 2 * step) << "class " << k;
    largest = std::max(largest, std::fabs(static_cast<double>(want[k])));
  }
  EXPECT_GT(largest, 10 * step);  // the outputs are not all at the zero point
}

TEST(Quantizer, BadCalibrationAndShapeOnlyGraphsAreNamed) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  const core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 1});
  const std::vector<std::vector<float>> wrong = {std::vector<float>(10, 0.0f)};
  try {
    quantize(f, wrong, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("calibration sample 0 has 10 values"), std::string::npos)
        << e.what();
  }
  const core::Graph shape_only = nets::build_phinet(c);
  EXPECT_THROW(quantize(shape_only, synthetic_calibration(shape_only, 1, 1), {}), Error);
}

}  // namespace
}  // namespace tinyscale::exporter

namespace tinyscale::exporter {
namespace {

// The bar, on float models PyTorch exported from micromind: int8 against float
// cosine >= 0.99 and the same top-1 class on the fixture input. Calibration: 64 synthetic
// uniform [-1, 1] samples, the distribution the fixture inputs were drawn from (the
// fixture input itself is not in the calibration set).
class QuantizeFixture : public ::testing::TestWithParam<const char*> {
 protected:
  // The fixture's float graph and its input in NHWC; false when ../shared is absent.
  bool load(core::Graph* f, std::vector<float>* x) {
    const std::string dir = std::string(TINYSCALE_SHARED_DIR) + "/interop/onnx/" + GetParam() + "/";
    if (!std::filesystem::exists(dir + "model_op13.onnx")) return false;
    *f = read_onnx(dir + "model_op13.onnx");
    std::ifstream in(dir + "input_0.bin", std::ios::binary);
    std::vector<float> nchw(
        static_cast<std::size_t>(core::num_elements(f->tensor(f->inputs[0]).shape)));
    in.read(reinterpret_cast<char*>(nchw.data()),
            static_cast<std::streamsize>(nchw.size() * sizeof(float)));
    EXPECT_TRUE(in.good());
    const core::Shape& s = f->tensor(f->inputs[0]).shape;  // NHWC
    const auto h = static_cast<std::size_t>(s[1]), w = static_cast<std::size_t>(s[2]),
               c = static_cast<std::size_t>(s[3]);
    x->assign(nchw.size(), 0.0f);
    for (std::size_t ch = 0; ch < c; ++ch)
      for (std::size_t y = 0; y < h; ++y)
        for (std::size_t xx = 0; xx < w; ++xx)
          (*x)[(y * w + xx) * c + ch] = nchw[(ch * h + y) * w + xx];
    return true;
  }
  static std::ptrdiff_t top(const std::vector<float>& v) {
    return std::max_element(v.begin(), v.end()) - v.begin();
  }
};

TEST_P(QuantizeFixture, Int8MatchesFloatOnTheFixtureInput) {
  core::Graph f;
  std::vector<float> x;
  if (!load(&f, &x)) GTEST_SKIP() << "../shared/interop is absent";
  const core::Graph q = quantize(f, synthetic_calibration(f, 64, 11), {});
  const std::vector<float> fo = run(core::lower_for_deployment(f), x);
  const std::vector<float> qo = run(q, x);
  const double cos = cosine(fo, qo);
  std::vector<float> sorted = fo;
  std::sort(sorted.rbegin(), sorted.rend());
  const double margin = (sorted[0] - sorted[1]) / std::fabs(sorted[0]);
  std::printf("  %s: cosine(int8, float) = %.5f, top-1 float %td int8 %td (float margin %.1f %%)\n",
              GetParam(), cos, top(fo), top(qo), 100.0 * margin);
  // Measured: phinet_a 0.9921, xinet 0.9996, phinet_kws 0.9949.
  EXPECT_GE(cos, 0.99);
  // phinet_a's fixture input is a near-tie in float: class 1 at 3.335, class 8 at 3.287, a
  // 1.5 % margin. int8 decides such ties by chance (on held-out inputs with a margin under
  // 3 %, 10 of 18 agree), so top-1 is asserted where the float decision is not a tie, and
  // agreement on many inputs is the next test's.
  if (margin >= 0.03) {
    EXPECT_EQ(top(fo), top(qo));
  }
}

// The fixture input is a single draw. Over 64 held-out inputs from its distribution:
// median cosine and top-1 agreement. Measured (200 inputs): median 0.997 / 0.9995 / 0.978,
// agreement 93 % / 100 % / 80 %. phinet_kws's int8 error is random, not a bias to correct
// (0.5 % of its energy is the mean), spread over many tensors whose channels span a few
// int8 steps: bench/README.md.
TEST_P(QuantizeFixture, Int8MatchesFloatOnHeldOutInputs) {
  core::Graph f;
  std::vector<float> x;
  if (!load(&f, &x)) GTEST_SKIP() << "../shared/interop is absent";
  const core::Graph q = quantize(f, synthetic_calibration(f, 64, 11), {});
  const core::Graph lowered = core::lower_for_deployment(f);
  std::vector<double> cosines;
  int agree = 0;
  for (const std::vector<float>& input : synthetic_calibration(f, 64, 12345)) {
    const std::vector<float> fo = run(lowered, input);
    const std::vector<float> qo = run(q, input);
    cosines.push_back(cosine(fo, qo));
    agree += top(fo) == top(qo);
  }
  std::sort(cosines.begin(), cosines.end());
  const double median = cosines[cosines.size() / 2];
  std::printf("  %s held-out: median cosine %.4f, top-1 agreement %d/%zu\n", GetParam(), median,
              agree, cosines.size());
  const bool kws = std::string(GetParam()) == "phinet_kws";
  EXPECT_GE(median, kws ? 0.97 : 0.99);
  EXPECT_GE(agree, kws ? 42 : 56);  // 66 % and 87.5 %
}

INSTANTIATE_TEST_SUITE_P(Micromind, QuantizeFixture,
                         ::testing::Values("phinet_a", "xinet", "phinet_kws"));

}  // namespace
}  // namespace tinyscale::exporter
