#include "core/passes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/ops.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace tinyscale::core {
namespace {

int count(const Graph& g, OpType op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

// x [1,1,1,2] -> 1×1 conv (2->2, no bias) -> batch_norm -> relu6.
Graph conv_bn_relu6() {
  Graph g;
  const int x = g.add_input("x", {1, 1, 1, 2});
  const std::vector<float> w = {1.0f, 2.0f, -3.0f, 0.5f};  // [out][in]
  const int y =
      g.add_node(OpType::conv2d, "conv", {x, g.add_constant("conv.weight", {2, 1, 1, 2}, w)});
  const std::vector<float> gamma = {2.0f, 0.5f}, beta = {0.1f, -0.2f}, mean = {1.0f, -1.0f},
                           var = {3.0f, 0.25f};
  Attributes bn;
  bn.epsilon = 1e-3f;
  const int z = g.add_node(
      OpType::batch_norm, "bn",
      {y, g.add_constant("bn.weight", {2}, gamma), g.add_constant("bn.bias", {2}, beta),
       g.add_constant("bn.running_mean", {2}, mean), g.add_constant("bn.running_var", {2}, var)},
      bn);
  g.mark_output(g.add_node(OpType::clip, "act", {z}));
  return g;
}

TEST(FoldBatchNorm, ScalesWeightsAndBuildsBias) {
  Graph g = conv_bn_relu6();
  fold_batch_norm(g);
  ASSERT_EQ(g.nodes.size(), 2u);
  const Node& conv = g.nodes[0];
  ASSERT_EQ(conv.inputs.size(), 3u);
  const auto w = g.tensor(conv.inputs[1]).values<float>();
  const auto b = g.tensor(conv.inputs[2]).values<float>();
  const double s0 = 2.0 / std::sqrt(3.0 + 1e-3), s1 = 0.5 / std::sqrt(0.25 + 1e-3);
  EXPECT_NEAR(w[0], 1.0 * s0, 1e-6);
  EXPECT_NEAR(w[1], 2.0 * s0, 1e-6);
  EXPECT_NEAR(w[2], -3.0 * s1, 1e-6);
  EXPECT_NEAR(w[3], 0.5 * s1, 1e-6);
  EXPECT_NEAR(b[0], (0.0 - 1.0) * s0 + 0.1, 1e-6);
  EXPECT_NEAR(b[1], (0.0 + 1.0) * s1 - 0.2, 1e-6);
  EXPECT_EQ(g.tensor(conv.outputs[0]).name, "bn");
  EXPECT_NO_THROW(g.validate());
}

TEST(FuseActivations, Relu6IntoConv) {
  Graph g = lower_for_deployment(conv_bn_relu6());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].attrs.fused_activation, FusedActivation::relu6);
  EXPECT_EQ(g.outputs, g.nodes[0].outputs);
  EXPECT_EQ(g.tensors.size(), 4u);  // input, folded weight, bias, output: the rest compacted away
  EXPECT_NO_THROW(g.validate());
}

TEST(FuseActivations, NotWhenTheProducerOutputHasOtherReaders) {
  Graph g;
  const int x = g.add_input("x", {1, 4});
  const int y = g.add_node(OpType::fully_connected, "fc", {x, g.add_constant("w", {4, 4})});
  const int r = g.add_node(OpType::relu, "relu", {y});
  g.mark_output(g.add_node(OpType::add, "sum", {y, r}));
  fuse_activations(g);
  EXPECT_EQ(count(g, OpType::relu), 1);
  EXPECT_EQ(g.nodes[0].attrs.fused_activation, FusedActivation::none);
}

TEST(FoldPad, AddsToConvPadding) {
  Graph g;
  const int x = g.add_input("x", {1, 8, 8, 3});
  Attributes pad;
  pad.pad_bottom = pad.pad_right = 1;
  const int p = g.add_node(OpType::pad, "pad", {x}, pad);
  Attributes conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.stride_h = conv.stride_w = 2;
  conv.groups = 3;
  g.mark_output(g.add_node(OpType::conv2d, "dw", {p, g.add_constant("w", {3, 3, 3, 1})}, conv));
  const Shape before = g.tensor(g.outputs[0]).shape;
  fold_pad_into_conv(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].attrs.pad_bottom, 1);
  EXPECT_EQ(g.nodes[0].attrs.pad_top, 0);
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, before);
  EXPECT_NO_THROW(g.validate());
}

TEST(ExpandSilu, BecomesSigmoidTimesInput) {
  Graph g;
  const int x = g.add_input("x", {1, 4, 4, 2});
  g.mark_output(g.add_node(OpType::silu, "act", {x}));
  expand_silu(g);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op, OpType::sigmoid);
  EXPECT_EQ(g.nodes[1].op, OpType::mul);
  EXPECT_EQ(g.nodes[1].inputs, (std::vector<int>{x, g.nodes[0].outputs[0]}));
  EXPECT_NO_THROW(g.validate());
}

TEST(LowerForDeployment, PhiNetAndXiNetKeepNoBatchNormOrSilu) {
  nets::PhiNetConfig pc;
  pc.compatibility = true;  // relu6 everywhere: fused into the convolutions
  const Graph phinet =
      lower_for_deployment(nets::build_phinet(pc, {.materialize_weights = true, .seed = 1}));
  EXPECT_EQ(count(phinet, OpType::batch_norm), 0);
  EXPECT_EQ(count(phinet, OpType::clip), 0);
  EXPECT_EQ(count(phinet, OpType::pad), 0);
  EXPECT_NO_THROW(phinet.validate());
  nets::XiNetConfig xc;
  xc.input = {3, 64, 64};
  const Graph xinet = lower_for_deployment(nets::build_xinet(xc));
  EXPECT_EQ(count(xinet, OpType::batch_norm), 0);
  EXPECT_EQ(count(xinet, OpType::silu), 0);
  EXPECT_GT(count(xinet, OpType::sigmoid), 0);
  EXPECT_NO_THROW(xinet.validate());
}

}  // namespace
}  // namespace tinyscale::core
