// exporter::data_dependent_init: BatchNorm outputs standardized layer by layer with eps kept,
// output layers scaled to unit variance, and for every exported family (PhiNet, XiNet,
// YOLO-PhiNet, tinyCLAP encoder) int8 outputs that depend on the input, with every int8
// activation scale within [1e-4, 1e2] (PyTorch's default init gives ~1e-11 at the classifier).
#include "export/data_init.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "blocks/builder.h"
#include "core/error.h"
#include "core/passes.h"
#include "export/quantizer.h"
#include "nets/phinet.h"
#include "nets/tinyclap.h"
#include "nets/xinet.h"
#include "nets/yolo.h"
#include "tests/support/trained_like.h"

namespace tinyscale::exporter {
namespace {

using testing_support::run_outputs;

// The sane range of an int8 activation scale: inputs in [-1, 1] and unit-variance layers give
// scales around 1e-2 (a range of a few units over 255 steps); 1e-4 is a range of ±0.013.
constexpr double kMinScale = 1e-4, kMaxScale = 1e2;

struct Moments {
  std::vector<double> mean, var;
};

// Per-channel (last axis) population moments of float output `o` over the samples.
Moments output_moments(const core::Graph& g, const std::vector<std::vector<float>>& samples,
                       std::size_t o) {
  const core::Graph lowered = core::lower_for_deployment(g);
  Moments m;
  double count = 0;
  for (const std::vector<float>& x : samples) {
    const std::vector<float> y = run_outputs(lowered, x).at(o);
    const auto channels = static_cast<std::size_t>(lowered.tensor(lowered.outputs[o]).shape.back());
    m.mean.resize(channels, 0.0);
    m.var.resize(channels, 0.0);
    for (std::size_t k = 0; k < y.size(); ++k) {
      m.mean[k % channels] += y[k];
      m.var[k % channels] += static_cast<double>(y[k]) * y[k];
    }
    count += static_cast<double>(y.size() / channels);
  }
  for (std::size_t c = 0; c < m.mean.size(); ++c) {
    m.mean[c] /= count;
    m.var[c] = m.var[c] / count - m.mean[c] * m.mean[c];
  }
  return m;
}

std::vector<float> values(const core::Graph& g, const std::string& name) {
  for (const core::Tensor& t : g.tensors) {
    if (t.name == name) return {t.values<float>().begin(), t.values<float>().end()};
  }
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

// conv1 (weights / 100: a pre-BatchNorm variance far below eps 1e-3) -> bn1 -> relu ->
// conv2 -> bn2; both BatchNorm outputs are graph outputs.
core::Graph two_batch_norms() {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 3});
  int x = b.input("input", 3, 8, 8);
  x = b.conv2d("conv1", x, {.out_channels = 6, .kernel = 3, .pad = {1, 1, 1, 1}});
  for (core::Tensor& t : g.tensors) {
    if (t.name == "conv1.weight")
      for (float& w : t.mutable_values<float>()) w /= 100.0f;
  }
  const int bn1 = b.batch_norm("bn1", x, 1e-3f);
  x = b.activation("act1", bn1, blocks::Activation::relu);
  x = b.conv2d("conv2", x, {.out_channels = 5, .kernel = 1});
  g.mark_output(b.batch_norm("bn2", x, 1e-5f));
  g.mark_output(bn1);
  return g;
}

TEST(DataInit, EveryBatchNormOutputHasZeroMeanUnitVarianceLayerByLayer) {
  core::Graph g = two_batch_norms();
  const auto calib = synthetic_calibration(g, 16, 7);
  // Before: bn1 passes conv1's tiny outputs through (variance ~1e-4).
  EXPECT_LT(output_moments(g, calib, 1).var[0], 1e-2);
  const DataInitReport r = data_dependent_init(g, calib);
  EXPECT_EQ(r.samples, 16);
  EXPECT_EQ(r.batch_norms, 2);
  EXPECT_EQ(r.output_layers, 0);
  // bn2 is measured on bn1's new output: both standardized, whatever eps (a running_var set
  // without absorbing eps would leave bn1 at variance var / (var + 1e-3), about 0.1 here).
  for (std::size_t o : {0u, 1u}) {
    const Moments m = output_moments(g, calib, o);
    for (std::size_t c = 0; c < m.mean.size(); ++c) {
      EXPECT_NEAR(m.mean[c], 0.0, 1e-4) << "output " << o << " channel " << c;
      EXPECT_NEAR(m.var[c], 1.0, 1e-4) << "output " << o << " channel " << c;
    }
  }
  // The running statistics are the population statistics of the input, beta 0, and gamma
  // carries eps: gamma / sqrt(var + eps) = 1 / sqrt(var).
  const std::vector<float> gamma = values(g, "bn1.weight"), beta = values(g, "bn1.bias"),
                           var = values(g, "bn1.running_var");
  for (std::size_t c = 0; c < gamma.size(); ++c) {
    EXPECT_LT(var[c], 1e-2) << c;
    EXPECT_EQ(beta[c], 0.0f);
    EXPECT_NEAR(gamma[c] / std::sqrt(var[c] + 1e-3) * std::sqrt(var[c]), 1.0, 1e-5) << c;
  }
}

TEST(DataInit, ClassifierLogitsGetUnitVarianceOverTheSamples) {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 5});
  int x = b.input("input", 3, 8, 8);
  x = b.conv2d("conv", x, {.out_channels = 8, .kernel = 3, .stride = 2, .pad = {1, 1, 1, 1}});
  x = b.batch_norm("bn", x, 1e-3f);
  x = b.activation("act", x, blocks::Activation::hard_swish);
  x = b.flatten("flatten", b.global_avg_pool("pool", x));
  g.mark_output(b.fully_connected("fc", x, 4, true));
  const auto calib = synthetic_calibration(g, 32, 2);
  const DataInitReport r = data_dependent_init(g, calib);
  EXPECT_EQ(r.batch_norms, 1);
  EXPECT_EQ(r.output_layers, 1);
  EXPECT_EQ(r.summary(),
            "data-dependent (BatchNorm statistics of 32 samples: 1 BatchNorm, 1 output layer "
            "scaled)");
  const Moments m = output_moments(g, calib, 0);
  for (std::size_t c = 0; c < m.mean.size(); ++c) {
    EXPECT_NEAR(m.mean[c], 0.0, 1e-4) << c;
    EXPECT_NEAR(m.var[c], 1.0, 1e-3) << c;
  }
}

TEST(DataInit, RefusesSamplesThatDoNotFitAndWeightsWithoutValues) {
  core::Graph g = two_batch_norms();
  std::vector<std::vector<float>> wrong = {std::vector<float>(5, 0.0f)};
  EXPECT_THROW(data_dependent_init(g, wrong), Error);
  std::vector<std::vector<float>> nan = synthetic_calibration(g, 2, 1);
  nan[1][3] = std::nanf("");
  EXPECT_THROW(data_dependent_init(g, nan), Error);
  core::Graph shape_only;
  blocks::Builder b(shape_only, {});
  shape_only.mark_output(b.batch_norm("bn", b.input("input", 3, 4, 4), 1e-3f));
  EXPECT_THROW(data_dependent_init(shape_only, synthetic_calibration(shape_only, 2, 1)), Error);
}

// ---- every exported family, small inputs

struct Family {
  const char* name;
  std::function<core::Graph(const blocks::BuilderOptions&)> build;
  // The mean data_dependent_init leaves on channel c of graph output o: 0, except where the
  // builder set a prior (YOLO's class channels).
  std::function<double(const core::Graph&, std::size_t o, std::size_t c)> mean =
      [](const core::Graph&, std::size_t, std::size_t) { return 0.0; };
};

// YOLOv8's class prior on a detection level [1, H, W, 4 * 16 + classes]: log(5 / classes /
// (H * W)) on the class channels, 0 on the box distribution channels.
double yolo_class_prior(const core::Graph& g, std::size_t o, std::size_t c) {
  const core::Shape& s = g.tensor(g.outputs[o]).shape;
  const std::size_t box_channels = 4 * 16;
  if (c < box_channels) return 0.0;
  const double classes = static_cast<double>(s[3]) - static_cast<double>(box_channels);
  return std::log(5.0 / classes / static_cast<double>(s[1] * s[2]));
}

std::vector<Family> families() {
  return {
      {"PhiNet",
       [](const blocks::BuilderOptions& o) {
         nets::PhiNetConfig c;
         c.input = {3, 32, 32};
         c.alpha = 0.25;
         c.include_top = true;
         return nets::build_phinet(c, o);
       }},
      {"XiNet",
       [](const blocks::BuilderOptions& o) {
         nets::XiNetConfig c;
         c.input = {3, 32, 32};
         c.alpha = 0.5;
         c.include_top = true;
         c.num_classes = 10;
         return nets::build_xinet(c, o);
       }},
      // A BatchNorm after an activation: lowered to MUL + ADD, not folded into a convolution.
      {"PhiNetConv2dInput",
       [](const blocks::BuilderOptions& o) {
         nets::PhiNetConfig c;
         c.input = {3, 32, 32};
         c.alpha = 0.25;
         c.include_top = true;
         c.conv2d_input = true;
         return nets::build_phinet(c, o);
       }},
      // 18x18 -> 4x4 adaptive pools with uneven bins: lowered to slices, which must keep the
      // whole batch of the batched pass.
      {"XiNetUnevenAdaptivePools",
       [](const blocks::BuilderOptions& o) {
         nets::XiNetConfig c;
         c.input = {3, 72, 72};
         c.alpha = 0.25;
         c.num_layers = 7;
         c.include_top = true;
         c.num_classes = 10;
         return nets::build_xinet(c, o);
       }},
      {"YoloPhiNet",
       [](const blocks::BuilderOptions& o) {
         nets::YoloConfig c;
         c.input = {3, 64, 64};
         c.phinet.alpha = 0.25;
         c.num_classes = 3;
         c.depth_multiple = 1.0 / 3.0;
         return nets::build_yolo(c, o);
       },
       yolo_class_prior},
      {"TinyClapEncoder",
       [](const blocks::BuilderOptions& o) {
         nets::TinyClapConfig c;
         c.alpha = 0.25;
         c.frames = 64;
         c.n_mels = 32;
         c.audio_embedding = 32;
         c.shared_embedding = 16;
         return nets::build_tinyclap_encoder(c, o);
       }},
  };
}

void PrintTo(const Family& family, std::ostream* os) { *os << family.name; }

class DataInitFamily : public ::testing::TestWithParam<Family> {};

// How many elements of the int8 outputs of two inputs differ, over every output.
double share_differing(const std::vector<std::vector<float>>& a,
                       const std::vector<std::vector<float>>& b) {
  std::size_t differ = 0, total = 0;
  for (std::size_t o = 0; o < a.size(); ++o) {
    for (std::size_t k = 0; k < a[o].size(); ++k) differ += a[o][k] != b[o][k];
    total += a[o].size();
  }
  return static_cast<double>(differ) / static_cast<double>(total);
}

TEST_P(DataInitFamily, Int8OutputsDependOnTheInputAndEveryScaleIsSane) {
  core::Graph g = GetParam().build({.materialize_weights = true, .seed = 0});
  const auto calib = synthetic_calibration(g, 8, 1);
  const DataInitReport r = data_dependent_init(g, calib);
  EXPECT_GT(r.batch_norms, 0);
  EXPECT_GT(r.output_layers, 0);
  // Every output channel comes from a scaled output layer: run sample by sample, the float
  // outputs have mean 0 (or the builder's prior) and variance 1 over the samples, as the one
  // batched pass measured.
  for (std::size_t o = 0; o < g.outputs.size(); ++o) {
    const Moments m = output_moments(g, calib, o);
    for (std::size_t c = 0; c < m.mean.size(); ++c) {
      ASSERT_NEAR(m.mean[c], GetParam().mean(g, o, c), 1e-3) << "output " << o << " channel " << c;
      ASSERT_NEAR(m.var[c], 1.0, 1e-3) << "output " << o << " channel " << c;
    }
  }
  const core::Graph q = quantize(g, calib, {});
  for (const core::Tensor& t : q.tensors) {
    if (t.is_constant || t.dtype != core::DType::int8) continue;
    EXPECT_GE(t.quantization.scales.at(0), kMinScale) << t.name;
    EXPECT_LE(t.quantization.scales.at(0), kMaxScale) << t.name;
  }
  const auto inputs = synthetic_calibration(g, 3, 99);  // none of them calibrated on
  const auto y0 = run_outputs(q, inputs[0]), y1 = run_outputs(q, inputs[1]),
             y2 = run_outputs(q, inputs[2]);
  EXPECT_GT(share_differing(y0, y1), 0.5);
  EXPECT_GT(share_differing(y0, y2), 0.5);
  EXPECT_GT(share_differing(y1, y2), 0.5);
}

INSTANTIATE_TEST_SUITE_P(Exported, DataInitFamily, ::testing::ValuesIn(families()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// The reason data_dependent_init is the default, and the old init still there to select: with
// PyTorch's default init the same PhiNet gives one int8 output for every input.
TEST(DataInit, PyTorchDefaultInitGivesTheSameOutputForEveryInput) {
  const core::Graph g = families()[0].build({.materialize_weights = true, .seed = 0});
  const auto calib = synthetic_calibration(g, 8, 1);
  const core::Graph q = quantize(g, calib, {});
  const auto inputs = synthetic_calibration(g, 3, 99);
  EXPECT_EQ(run_outputs(q, inputs[0]), run_outputs(q, inputs[1]));
  EXPECT_EQ(run_outputs(q, inputs[0]), run_outputs(q, inputs[2]));
  double smallest = 1.0;
  for (const core::Tensor& t : q.tensors) {
    if (!t.is_constant && t.dtype == core::DType::int8)
      smallest = std::min<double>(smallest, t.quantization.scales.at(0));
  }
  EXPECT_LT(smallest, kMinScale);
}

}  // namespace
}  // namespace tinyscale::exporter
