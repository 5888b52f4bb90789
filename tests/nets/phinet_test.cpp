// PhiNet against micromind: totals from micromind's own doctest (PhiNet((3,224,224))) and from
// the interop fixtures' meta.json (torchinfo on micromind @b4b45c0), plus the structural
// details of micromind's constructor that are easy to get wrong.
#include "nets/phinet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "core/ops.h"
#include "costmodel/costmodel.h"
#include "tests/nets/graph_lookup.h"

namespace tinyscale::nets {
namespace {

using testing_support::find_node;
using testing_support::out_channels;

costmodel::CostReport totals(const core::Graph& g) {
  return costmodel::analyze(g, {.per_layer = false, .compare_greedy = false});
}

TEST(PhiNet, MicromindDefaultsAt224) {
  const core::Graph g = build_phinet(PhiNetConfig{});
  EXPECT_NO_THROW(g.validate());
  const auto t = totals(g);
  EXPECT_EQ(t.params, 30917);
  EXPECT_EQ(t.macs_torchinfo, 9817670);
}

// Configurations of ../shared/interop/onnx, totals counted by torchinfo on micromind.
TEST(PhiNet, InteropConfigurationsMatchMicromind) {
  PhiNetConfig a;
  a.input = {3, 96, 96};
  a.alpha = 0.25;
  a.beta = 0.75;
  a.include_top = true;
  const auto ta = totals(build_phinet(a));
  EXPECT_EQ(ta.params, 36173);
  EXPECT_EQ(ta.macs_torchinfo, 2786486);
  EXPECT_EQ(ta.macs, 2784392);  // conv + linear MACs

  PhiNetConfig kws = a;
  kws.input = {1, 49, 10};
  kws.num_classes = 12;
  const auto tk = totals(build_phinet(kws));
  EXPECT_EQ(tk.params, 36229);
  EXPECT_EQ(tk.macs_torchinfo, 222664);
  EXPECT_EQ(tk.macs, 220568);
}

TEST(PhiNet, AgreesWithFixtureMetaWhenSharedIsPresent) {
  const std::string root = TINYSCALE_SHARED_DIR "/interop/onnx/";
  for (const char* model : {"phinet_a", "phinet_kws"}) {
    std::ifstream in(root + model + "/meta.json");
    if (!in) GTEST_SKIP() << "../shared/interop is absent; skipping the fixture cross-check";
    const nlohmann::json meta = nlohmann::json::parse(in);
    const nlohmann::json& kw = meta["kwargs"];
    PhiNetConfig c;
    c.input = {kw["input_shape"][0], kw["input_shape"][1], kw["input_shape"][2]};
    c.alpha = kw["alpha"];
    c.beta = kw["beta"];
    c.t_zero = kw["t_zero"];
    c.num_layers = kw["num_layers"];
    c.include_top = kw["include_top"];
    c.num_classes = kw["num_classes"];
    const auto t = totals(build_phinet(c));
    EXPECT_EQ(t.params, meta["complexity"]["params"].get<std::int64_t>()) << model;
    EXPECT_EQ(t.macs_torchinfo, meta["complexity"]["macs_torchinfo"].get<std::int64_t>()) << model;
    EXPECT_EQ(t.macs, meta["complexity"]["macs_conv_linear"].get<std::int64_t>()) << model;
  }
}

TEST(PhiNet, SevenLayersGiveEightBlocks) {
  const core::Graph g = build_phinet(PhiNetConfig{});
  // _layers.0 is the stem pad, _layers.1 the separable conv, _layers.2..9 the blocks.
  EXPECT_NE(find_node(g, "_layers.9._layers.8"), nullptr);
  EXPECT_EQ(find_node(g, "_layers.10._layers.0"), nullptr);
}

TEST(PhiNet, IntTruncationBeforeMakeDivisible) {
  PhiNetConfig c;
  c.alpha = 0.3;
  c.beta = 0.5;
  c.t_zero = 4;
  const core::Graph g = build_phinet(c);
  EXPECT_EQ(out_channels(g, "_layers.3._layers.0"), 25);  // exact arithmetic would give 26
}

TEST(PhiNet, StemPaddingDependsOnParityOfLargestSide) {
  PhiNetConfig even;
  even.input = {3, 96, 96};
  const core::Node* pad = find_node(build_phinet(even), "_layers.0");
  ASSERT_NE(pad, nullptr);
  PhiNetConfig odd;
  odd.input = {3, 97, 97};
  const core::Graph godd = build_phinet(odd);
  const core::Node* pad_odd = find_node(godd, "_layers.0");
  ASSERT_NE(pad_odd, nullptr);
  EXPECT_EQ(pad_odd->attrs.pad_top, 1);
  EXPECT_EQ(pad_odd->attrs.pad_left, 1);
  EXPECT_EQ(pad_odd->attrs.pad_bottom, 1);
  // Non-square: computed from max(H, W) = 96 (even) even though H = 49 is odd.
  PhiNetConfig rect;
  rect.input = {3, 49, 96};
  const core::Graph grect = build_phinet(rect);
  const core::Node* pad_rect = find_node(grect, "_layers.0");
  ASSERT_NE(pad_rect, nullptr);
  EXPECT_EQ(pad_rect->attrs.pad_top, 0);
  EXPECT_EQ(pad_rect->attrs.pad_bottom, 1);
}

TEST(PhiNet, StrideTwoBlocksPadOneEvenWithFiveByFiveKernels) {
  PhiNetConfig c;
  c.conv5_percent = 0.3;  // blocks 5.. of 7 have 5×5 kernels (5/7 > 0.7)
  const core::Graph g = build_phinet(c);
  const core::Node* dw7 = find_node(g, "_layers.9._layers.4");  // block 7, stride 2
  ASSERT_NE(dw7, nullptr);
  EXPECT_EQ(dw7->attrs.kernel_h, 5);
  EXPECT_EQ(dw7->attrs.stride_h, 2);
  EXPECT_EQ(dw7->attrs.pad_top, 1);
  EXPECT_EQ(dw7->attrs.pad_bottom, 1);
  const core::Node* dw6 = find_node(g, "_layers.8._layers.4");  // block 6, stride 1
  ASSERT_NE(dw6, nullptr);
  EXPECT_EQ(dw6->attrs.kernel_h, 5);
  EXPECT_EQ(dw6->attrs.pad_top, 2);
  const core::Node* dw4 = find_node(g, "_layers.6._layers.4");  // block 4: 4/7 < 0.7
  ASSERT_NE(dw4, nullptr);
  EXPECT_EQ(dw4->attrs.kernel_h, 3);
}

TEST(PhiNet, SqueezeExciteWidthIsOneSixthRounded) {
  const core::Graph g = build_phinet(PhiNetConfig{});
  const std::int64_t dw = out_channels(g, "_layers.3._layers.4");
  EXPECT_EQ(out_channels(g, "_layers.3._layers.7.se_conv"), std::max<std::int64_t>(1, dw / 6));
  EXPECT_EQ(out_channels(g, "_layers.3._layers.7.se_conv2"), dw);
}

TEST(PhiNet, BatchNormEpsilonIsOneThousandth) {
  const core::Graph g = build_phinet(PhiNetConfig{});
  int count = 0;
  for (const core::Node& n : g.nodes) {
    if (n.op != core::OpType::batch_norm) continue;
    EXPECT_FLOAT_EQ(n.attrs.epsilon, 1e-3f) << n.name;
    ++count;
  }
  EXPECT_EQ(count, 1 + 2 + 3 * 7);  // stem, block1 (dw + project), 7 expanded blocks
}

TEST(PhiNet, CompatibilityDropsHardSwishAndSqueezeExcite) {
  PhiNetConfig c;
  c.compatibility = true;
  const core::Graph g = build_phinet(c);
  for (const core::Node& n : g.nodes) {
    EXPECT_NE(n.op, core::OpType::hard_swish) << n.name;
    EXPECT_NE(n.op, core::OpType::sigmoid) << n.name;
    EXPECT_EQ(n.name.find("se_conv"), std::string::npos) << n.name;
  }
  EXPECT_EQ(find_node(g, "_layers.3._layers.2")->op, core::OpType::clip);
}

TEST(PhiNet, PoolReplacesStridesWithMaxPools) {
  PhiNetConfig c;
  c.pool = true;
  const core::Graph g = build_phinet(c);
  int pools = 0;
  for (const core::Node& n : g.nodes) {
    if (n.op == core::OpType::max_pool) ++pools;
    if (n.op == core::OpType::conv2d && n.name.rfind("_layers.1.", 0) != 0) {
      EXPECT_EQ(n.attrs.stride_h, 1) << n.name;
    }
  }
  EXPECT_EQ(pools, 4);  // after block 1, after block 3, before blocks 5 and 7
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (core::Shape{1, 7, 7, 38}));
}

TEST(PhiNet, Conv2dInputStemUsesDefaultEpsilonAfterActivation) {
  PhiNetConfig c;
  c.conv2d_input = true;
  const core::Graph g = build_phinet(c);
  EXPECT_EQ(find_node(g, "_layers.0")->op, core::OpType::conv2d);
  EXPECT_EQ(find_node(g, "_layers.0")->attrs.stride_h, 1);
  EXPECT_EQ(find_node(g, "_layers.1")->op, core::OpType::hard_swish);
  EXPECT_EQ(find_node(g, "_layers.2")->op, core::OpType::batch_norm);
  EXPECT_FLOAT_EQ(find_node(g, "_layers.2")->attrs.epsilon, 1e-5f);
  EXPECT_EQ(out_channels(g, "_layers.0"), 4);  // int(24 * 0.2)
}

TEST(PhiNet, DivisorRoundsEveryWidth) {
  PhiNetConfig c;
  c.divisor = 8;
  c.alpha = 0.5;
  const core::Graph g = build_phinet(c);
  for (const core::Node& n : g.nodes) {
    if (n.op == core::OpType::conv2d && n.name != "_layers.1._layers.0") {
      EXPECT_EQ(g.tensor(n.outputs[0]).shape.back() % 8, 0) << n.name;
    }
  }
}

TEST(PhiNet, ResidualsOnlyWhereShapesAllow) {
  const core::Graph g = build_phinet(PhiNetConfig{});
  std::vector<std::string> adds;
  for (const core::Node& n : g.nodes) {
    if (n.op == core::OpType::add) adds.push_back(n.name);
  }
  // Blocks 2 (id 2: 24α→24α, stride 1), 4 (id 4) and 6 (id 6) keep shape.
  EXPECT_EQ(adds, (std::vector<std::string>{"_layers.4.add", "_layers.6.add", "_layers.8.add"}));
  PhiNetConfig no_res;
  no_res.residuals = false;
  for (const core::Node& n : build_phinet(no_res).nodes) EXPECT_NE(n.op, core::OpType::add);
}

TEST(PhiNet, HeadIsPoolFlattenLinear) {
  PhiNetConfig c;
  c.include_top = true;
  c.num_classes = 12;
  const core::Graph g = build_phinet(c);
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (core::Shape{1, 12}));
  EXPECT_EQ(g.nodes.back().op, core::OpType::fully_connected);
  EXPECT_EQ(g.nodes.back().inputs.size(), 3u);  // bias=True
}

std::string error_of(const PhiNetConfig& c) {
  try {
    build_phinet(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PhiNet, BadParametersNameTheParameter) {
  PhiNetConfig c;
  c.alpha = 0.0;
  EXPECT_NE(error_of(c).find("--alpha"), std::string::npos);
  c = {};
  c.beta = -1.0;
  EXPECT_NE(error_of(c).find("--beta"), std::string::npos);
  c = {};
  c.num_layers = 0;
  EXPECT_NE(error_of(c).find("--num-layers"), std::string::npos);
}

TEST(PhiNet, TooSmallInputNamesTheLayer) {
  PhiNetConfig c;
  c.input = {3, 8, 8};
  const std::string e = error_of(c);
  EXPECT_NE(e.find("layer '_layers."), std::string::npos) << e;
  EXPECT_NE(e.find("too small"), std::string::npos) << e;
}

TEST(PhiNet, MaterializedAndShapeOnlyBuildsCostTheSame) {
  PhiNetConfig c;
  c.input = {3, 64, 64};
  const auto a = costmodel::analyze(build_phinet(c));
  const auto b = costmodel::analyze(build_phinet(c, {.materialize_weights = true, .seed = 3}));
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.flash_bytes, b.flash_bytes);
  EXPECT_EQ(a.ram_bytes, b.ram_bytes);
}

}  // namespace
}  // namespace tinyscale::nets
