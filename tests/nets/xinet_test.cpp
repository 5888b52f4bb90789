#include "nets/xinet.h"

#include <gtest/gtest.h>

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

XiNetConfig interop_config() {
  XiNetConfig c;  // ../shared/interop/onnx/xinet: XiNet(3x96x96, alpha 0.5, gamma 4, N 5, top, 10)
  c.input = {3, 96, 96};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 10;
  return c;
}

TEST(XiNet, InteropConfigurationMatchesMicromind) {
  const core::Graph g = build_xinet(interop_config());
  EXPECT_NO_THROW(g.validate());
  const auto t = totals(g);
  EXPECT_EQ(t.params, 124818);
  EXPECT_EQ(t.macs_torchinfo, 9227482);
  EXPECT_EQ(t.macs, 9226496);
  int convs = 0, bns = 0;
  for (const core::Node& n : g.nodes) {
    convs += n.op == core::OpType::conv2d;
    bns += n.op == core::OpType::batch_norm;
    if (n.op == core::OpType::batch_norm) {
      EXPECT_FLOAT_EQ(n.attrs.epsilon, 1e-5f) << n.name;
    }
  }
  EXPECT_EQ(convs, 36);  // counted in the fixture's ONNX export
  EXPECT_EQ(bns, 9);
}

TEST(XiNet, BuildsTwoLMinusTwoBlocks) {
  for (int layers : {3, 5, 6}) {
    XiNetConfig c;
    c.num_layers = layers;
    c.input = {3, 256, 256};
    const core::Graph g = build_xinet(c);
    const std::string last = "_layers." + std::to_string(2 * layers - 3) + ".main_conv";
    EXPECT_NE(find_node(g, last), nullptr) << layers;
    EXPECT_EQ(find_node(g, "_layers." + std::to_string(2 * layers - 2) + ".main_conv"), nullptr);
  }
}

TEST(XiNet, LastTwoBlocksUseGammaFourAndNoAttention) {
  XiNetConfig c = interop_config();
  c.gamma = 2.0;
  const core::Graph g = build_xinet(c);
  EXPECT_EQ(out_channels(g, "_layers.0.compression_conv"), 16 / 2);  // gamma applies here
  EXPECT_NE(find_node(g, "_layers.5.att_conv"), nullptr);
  EXPECT_EQ(find_node(g, "_layers.6.att_conv"), nullptr);
  EXPECT_EQ(find_node(g, "_layers.7.att_conv"), nullptr);
  EXPECT_EQ(out_channels(g, "_layers.6.compression_conv"), 128 / 4);  // but not here
  EXPECT_EQ(out_channels(g, "_layers.7.compression_conv"), 128 / 4);
}

TEST(XiNet, GammaIsTruncatedToAnInteger) {
  XiNetConfig a = interop_config();
  XiNetConfig b = interop_config();
  b.gamma = 4.9;
  EXPECT_EQ(totals(build_xinet(a)).params, totals(build_xinet(b)).params);
}

TEST(XiNet, AttentionIsLite) {
  const core::Graph g = build_xinet(interop_config());
  // Block 2: 64·0.5 = 32 channels; lite attention goes to 32/4/2 = 4, back to 32.
  EXPECT_EQ(out_channels(g, "_layers.2.att_pw_conv"), 4);
  EXPECT_EQ(out_channels(g, "_layers.2.att_conv"), 32);
  EXPECT_EQ(find_node(g, "_layers.2.att_conv")->attrs.kernel_h, 3);
  EXPECT_EQ(find_node(g, "_layers.2.att_act")->op, core::OpType::sigmoid);
  EXPECT_EQ(find_node(g, "_layers.2.mul")->op, core::OpType::mul);
}

TEST(XiNet, BroadcastSkipIsPooledFromTheFirstBlock) {
  const core::Graph g = build_xinet(interop_config());
  const core::Node* first = find_node(g, "_layers.0.att_act");
  ASSERT_NE(first, nullptr);
  // Block 1 sees the skip at its own resolution: no pooling, only the 1×1 projection.
  EXPECT_EQ(find_node(g, "_layers.1.adaptive_pooling"), nullptr);
  const core::Node* pool5 = find_node(g, "_layers.5.adaptive_pooling");
  ASSERT_NE(pool5, nullptr);
  EXPECT_EQ(pool5->op, core::OpType::avg_pool);
  EXPECT_EQ(pool5->attrs.kernel_h, 4);  // 24 -> 6
  EXPECT_EQ(g.tensor(pool5->inputs[0]).name, "_layers.0.mul");
  EXPECT_EQ(out_channels(g, "_layers.5.skip_conv"), 64 / 4);  // block 5 is 128·0.5 wide
}

TEST(XiNet, UnevenSkipUsesAdaptivePooling) {
  XiNetConfig c = interop_config();
  c.input = {3, 100, 100};  // 25 -> 12 is not an integer ratio
  const core::Graph g = build_xinet(c);
  EXPECT_EQ(find_node(g, "_layers.3.adaptive_pooling")->op, core::OpType::adaptive_avg_pool);
  EXPECT_NO_THROW(g.validate());
}

TEST(XiNet, BetaOneIsMicromindAndBetaRampsWidths) {
  XiNetConfig c = interop_config();
  c.beta = 1.0;
  EXPECT_EQ(totals(build_xinet(c)).params, 124818);
  c.beta = 2.0;
  const core::Graph g = build_xinet(c);
  EXPECT_EQ(out_channels(g, "conv1.0"), 8);                // i = 0: unchanged
  EXPECT_EQ(out_channels(g, "_layers.0.main_conv"), 19);   // int(32·0.5·1.2)
  EXPECT_EQ(out_channels(g, "_layers.7.main_conv"), 230);  // int(256·0.5·1.8)
  EXPECT_NO_THROW(g.validate());
}

std::string error_of(const XiNetConfig& c) {
  try {
    build_xinet(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(XiNet, BadInputsGiveNamedErrors) {
  XiNetConfig c = interop_config();
  c.input = {3, 99, 99};
  EXPECT_NE(error_of(c).find("broadcast skip"), std::string::npos) << error_of(c);
  c = interop_config();
  c.base_filters = 9;
  EXPECT_NE(error_of(c).find("--base-filters"), std::string::npos);
  c = interop_config();
  c.alpha = -0.5;
  EXPECT_NE(error_of(c).find("--alpha"), std::string::npos);
  c = interop_config();
  c.gamma = 0.5;
  EXPECT_NE(error_of(c).find("--gamma"), std::string::npos);
  c = interop_config();
  c.input = {3, 8, 8};
  EXPECT_NE(error_of(c).find("layer '"), std::string::npos) << error_of(c);
}

}  // namespace
}  // namespace tinyscale::nets
