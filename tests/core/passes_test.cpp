#include "core/passes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/ops.h"
#include "engine/engine.h"
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

// ---- lower_batch_norm

// x [1,1,2,2] -> relu -> batch_norm: the BatchNorm follows an activation, so no conv takes it.
Graph relu_bn() {
  Graph g;
  const int x = g.add_input("x", {1, 1, 2, 2});
  const int r = g.add_node(OpType::relu, "act", {x});
  const std::vector<float> gamma = {2.0f, 0.5f}, beta = {0.1f, -0.2f}, mean = {1.0f, -1.0f},
                           var = {3.0f, 0.25f};
  Attributes bn;
  bn.epsilon = 1e-3f;
  g.mark_output(g.add_node(
      OpType::batch_norm, "bn",
      {r, g.add_constant("bn.weight", {2}, gamma), g.add_constant("bn.bias", {2}, beta),
       g.add_constant("bn.running_mean", {2}, mean), g.add_constant("bn.running_var", {2}, var)},
      bn));
  return g;
}

TEST(LowerBatchNorm, AnUnfoldableBatchNormBecomesMulThenAdd) {
  const Graph g = lower_for_deployment(relu_bn());
  ASSERT_EQ(g.nodes.size(), 3u) << dump(g);
  EXPECT_EQ(g.nodes[1].op, OpType::mul);
  EXPECT_EQ(g.nodes[2].op, OpType::add);
  EXPECT_EQ(g.nodes[2].name, "bn");
  EXPECT_EQ(g.tensor(g.outputs[0]).name, "bn");  // the layer's output keeps its name
  const auto scale = g.tensor(g.nodes[1].inputs[1]).values<float>();
  const auto shift = g.tensor(g.nodes[2].inputs[1]).values<float>();
  EXPECT_EQ(g.tensor(g.nodes[1].inputs[1]).name, "bn.scale");
  EXPECT_EQ(g.tensor(g.nodes[1].inputs[1]).shape, (Shape{2}));
  const double s0 = 2.0 / std::sqrt(3.0 + 1e-3), s1 = 0.5 / std::sqrt(0.25 + 1e-3);
  EXPECT_NEAR(scale[0], s0, 1e-6);
  EXPECT_NEAR(scale[1], s1, 1e-6);
  EXPECT_NEAR(shift[0], 0.1 - 1.0 * s0, 1e-6);
  EXPECT_NEAR(shift[1], -0.2 + 1.0 * s1, 1e-6);
  EXPECT_EQ(count(g, OpType::batch_norm), 0);
  EXPECT_NO_THROW(g.validate());
}

TEST(LowerBatchNorm, ShapeOnlyGraphsGetConstantsWithoutData) {
  Graph shape_only = relu_bn();
  for (Tensor& t : shape_only.tensors) t.data.clear();
  const Graph g = lower_for_deployment(shape_only);
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_FALSE(g.tensor(g.nodes[1].inputs[1]).has_data());
  EXPECT_EQ(g.tensor(g.nodes[2].inputs[1]).shape, (Shape{2}));
}

TEST(LowerBatchNorm, PhiNetWithAConvStemExportsNoBatchNorm) {
  nets::PhiNetConfig c;
  c.input = {3, 96, 96};
  c.conv2d_input = true;
  const Graph built = nets::build_phinet(c);
  ASSERT_GT(count(built, OpType::batch_norm), 0);
  const Graph g = lower_for_deployment(built);
  EXPECT_EQ(count(g, OpType::batch_norm), 0);
  int lowered = 0;  // mul nodes scaling by a lowered BatchNorm's per-channel constant
  for (const Node& n : g.nodes) {
    lowered += n.op == OpType::mul && g.tensor(n.inputs[1]).is_constant &&
               g.tensor(n.inputs[1]).name.ends_with(".scale");
  }
  EXPECT_GE(lowered, 1);
  EXPECT_NO_THROW(g.validate());
}

// ---- lower_adaptive_avg_pool (its numbers against PyTorch's bins: engine_test)

Graph adaptive(Shape in, int out_h, int out_w) {
  Graph g;
  const int x = g.add_input("x", std::move(in));
  Attributes a;
  a.out_h = out_h;
  a.out_w = out_w;
  g.mark_output(g.add_node(OpType::adaptive_avg_pool, "pool", {x}, a));
  return g;
}

TEST(LowerAdaptiveAvgPool, EvenlySteppingBinsAreOnePool) {
  // 7 -> 3: bins [0,3) [2,5) [4,7): size 3, step 2, the whole axis: a 3x3 stride-2 pool.
  Graph g = adaptive({1, 7, 7, 4}, 3, 3);
  lower_adaptive_avg_pool(g);
  ASSERT_EQ(g.nodes.size(), 1u) << dump(g);
  const Node& pool = g.nodes[0];
  EXPECT_EQ(pool.op, OpType::avg_pool);
  EXPECT_EQ(pool.attrs.kernel_h, 3);
  EXPECT_EQ(pool.attrs.stride_h, 2);
  EXPECT_EQ(pool.attrs.kernel_w, 3);
  EXPECT_EQ(pool.attrs.stride_w, 2);
  EXPECT_EQ(pool.outputs[0], g.outputs[0]);
  EXPECT_NO_THROW(g.validate());
}

TEST(LowerAdaptiveAvgPool, EvenBinsAreOnePool) {
  Graph g = adaptive({1, 12, 8, 4}, 4, 2);
  lower_adaptive_avg_pool(g);
  ASSERT_EQ(g.nodes.size(), 1u) << dump(g);
  EXPECT_EQ(g.nodes[0].op, OpType::avg_pool);
  EXPECT_EQ(g.nodes[0].attrs.kernel_h, 3);
  EXPECT_EQ(g.nodes[0].attrs.stride_h, 3);
  EXPECT_EQ(g.nodes[0].attrs.kernel_w, 4);
  EXPECT_EQ(g.nodes[0].attrs.stride_w, 4);
}

TEST(LowerAdaptiveAvgPool, XiNetSkip56To3SlicesEachBinRowsThenColumns) {
  // 56 -> 3: bins [0,19) [18,38) [37,56) (sizes 19, 20, 19): three runs per axis, so rows
  // first (3 slices, 3 pools, a concat), then columns (the same): 14 nodes.
  Graph g = adaptive({1, 56, 56, 8}, 3, 3);
  const int output = g.outputs[0];
  lower_adaptive_avg_pool(g);
  EXPECT_EQ(count(g, OpType::slice), 6) << dump(g);
  EXPECT_EQ(count(g, OpType::avg_pool), 6);
  EXPECT_EQ(count(g, OpType::concat), 2);
  EXPECT_EQ(count(g, OpType::adaptive_avg_pool), 0);
  const Node& first = g.nodes[0];
  ASSERT_EQ(first.op, OpType::slice);
  EXPECT_EQ(first.attrs.slice_begin, (Shape{0, 0, 0, 0}));
  EXPECT_EQ(first.attrs.slice_size, (Shape{1, 19, 56, 8}));
  const Node& middle = g.nodes[2];
  ASSERT_EQ(middle.op, OpType::slice);
  EXPECT_EQ(middle.attrs.slice_begin, (Shape{0, 18, 0, 0}));
  EXPECT_EQ(middle.attrs.slice_size, (Shape{1, 20, 56, 8}));
  EXPECT_EQ(g.nodes[3].attrs.kernel_h, 20);
  EXPECT_EQ(g.nodes[3].attrs.kernel_w, 1);
  EXPECT_EQ(g.tensor(g.nodes[6].outputs[0]).shape, (Shape{1, 3, 56, 8}));  // rows concatenated
  EXPECT_EQ(g.nodes.back().op, OpType::concat);
  EXPECT_EQ(g.nodes.back().outputs[0], output);
  EXPECT_NO_THROW(g.validate());
}

TEST(LowerAdaptiveAvgPool, OneUnevenAxisPoolsEachBlockOnce) {
  // Rows 8 -> 2 even, columns 10 -> 4: bins [0,3) [2,5) [5,8) [7,10), runs {0,1} and {2,3}
  // (size 3, step 2): two slices, two 4x3 pools, one concat along W.
  Graph g = adaptive({1, 8, 10, 2}, 2, 4);
  lower_adaptive_avg_pool(g);
  ASSERT_EQ(g.nodes.size(), 5u) << dump(g);
  EXPECT_EQ(g.nodes[0].attrs.slice_begin, (Shape{0, 0, 0, 0}));
  EXPECT_EQ(g.nodes[0].attrs.slice_size, (Shape{1, 8, 5, 2}));
  EXPECT_EQ(g.nodes[1].attrs.kernel_h, 4);
  EXPECT_EQ(g.nodes[1].attrs.stride_h, 4);
  EXPECT_EQ(g.nodes[1].attrs.kernel_w, 3);
  EXPECT_EQ(g.nodes[1].attrs.stride_w, 2);
  EXPECT_EQ(g.nodes[2].attrs.slice_begin, (Shape{0, 0, 5, 0}));
  EXPECT_EQ(g.nodes[4].op, OpType::concat);
  EXPECT_EQ(g.nodes[4].attrs.axis, 2);
}

TEST(LowerAdaptiveAvgPool, XiNetAt224With7LayersHasNoAdaptivePoolLeft) {
  nets::XiNetConfig c;
  c.input = {3, 224, 224};
  c.num_layers = 7;
  const Graph built = nets::build_xinet(c);
  ASSERT_GT(count(built, OpType::adaptive_avg_pool), 0);
  const Graph g = lower_for_deployment(built);
  EXPECT_EQ(count(g, OpType::adaptive_avg_pool), 0);
  EXPECT_GT(count(g, OpType::slice), 0);
  EXPECT_NO_THROW(g.validate());
}

// PyTorch's AdaptiveAvgPool2d, written from its definition: output (i, j) averages rows
// [floor(i·H/oh), ceil((i+1)·H/oh)) and columns [floor(j·W/ow), ceil((j+1)·W/ow)). NHWC.
std::vector<float> torch_adaptive_avg_pool(const std::vector<float>& x, const Shape& s, int oh,
                                           int ow) {
  const std::int64_t h = s[1], w = s[2], c = s[3];
  std::vector<float> y(static_cast<std::size_t>(s[0] * oh * ow * c));
  std::size_t k = 0;
  for (std::int64_t b = 0; b < s[0]; ++b)
    for (std::int64_t i = 0; i < oh; ++i)
      for (std::int64_t j = 0; j < ow; ++j)
        for (std::int64_t ch = 0; ch < c; ++ch) {
          const std::int64_t r0 = i * h / oh, r1 = ((i + 1) * h + oh - 1) / oh;
          const std::int64_t c0 = j * w / ow, c1 = ((j + 1) * w + ow - 1) / ow;
          double sum = 0.0;
          for (std::int64_t r = r0; r < r1; ++r)
            for (std::int64_t q = c0; q < c1; ++q)
              sum += x[static_cast<std::size_t>(((b * h + r) * w + q) * c + ch)];
          y[k++] = static_cast<float>(sum / static_cast<double>((r1 - r0) * (c1 - c0)));
        }
  return y;
}

struct AdaptiveCase {
  std::int64_t h, w;
  int out_h, out_w;
};

TEST(LowerAdaptiveAvgPool, EqualsPyTorchBinsOnTheEngine) {
  const std::vector<AdaptiveCase> cases = {
      {56, 56, 3, 3}, {7, 7, 3, 3},  {10, 10, 4, 4}, {5, 5, 5, 5},   {1, 1, 1, 1}, {13, 13, 2, 2},
      {13, 10, 2, 4}, {56, 7, 3, 3}, {9, 6, 4, 6},   {17, 11, 5, 3}, {6, 6, 4, 4}, {28, 14, 3, 5}};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  for (const AdaptiveCase& t : cases) {
    const Shape in = {2, t.h, t.w, 3};
    Graph g = lower_for_deployment(adaptive(in, t.out_h, t.out_w));
    ASSERT_EQ(count(g, OpType::adaptive_avg_pool), 0);
    std::vector<float> x(static_cast<std::size_t>(num_elements(in)));
    for (float& v : x) v = uniform(rng);
    engine::CompiledModel model;
    char error[256] = "";
    ASSERT_EQ(model.compile(g, {}, error, sizeof error), engine::Status::ok) << error;
    std::memcpy(model.input(0).data, x.data(), x.size() * sizeof(float));
    ASSERT_EQ(model.run(), engine::Status::ok);
    const std::vector<float> expected = torch_adaptive_avg_pool(x, in, t.out_h, t.out_w);
    const float* y = model.output(0).as<float>();
    ASSERT_EQ(num_elements(model.output(0).shape()), static_cast<std::int64_t>(expected.size()));
    for (std::size_t k = 0; k < expected.size(); ++k) {
      ASSERT_NEAR(y[k], expected[k], 1e-5f)
          << t.h << "x" << t.w << " -> " << t.out_h << "x" << t.out_w << ", element " << k << "\n"
          << dump(g);
    }
  }
}

}  // namespace
}  // namespace tinyscale::core
