// Multiply fusion's candidates (engine/mul_fusion.h): which mul + pointwise conv2d pairs may
// run as one call. The plan's side (the other operand kept live, only where the peak stays)
// is in liveness_test; the kernels' in conv2d_fast_test and the QEMU tests; the whole path
// (`deploy --qemu` byte for byte against the host engine) in the deploy tests.
#include "engine/mul_fusion.h"

#include <gtest/gtest.h>

#include "core/passes.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace tinyscale::engine {
namespace {

struct Built {
  core::Graph g;
  int mul = -1, conv = -1;
};

// x -> relu r -> gate (global pool, or `attention`: a sigmoid of r) -> y = r * gate -> conv.
Built gated(bool attention, int kernel = 1, int stride = 1, bool y_also_output = false,
            bool gate_first = false) {
  Built b;
  core::Graph& g = b.g;
  const int x = g.add_input("x", {1, 8, 8, 16}, core::DType::int8);
  const int r = g.add_node(core::OpType::relu, "r", {x});
  const int gate = attention ? g.add_node(core::OpType::sigmoid, "att", {r})
                             : g.add_node(core::OpType::global_avg_pool, "pool", {r});
  const int y = g.add_node(core::OpType::mul, "mult",
                           gate_first ? std::vector<int>{gate, r} : std::vector<int>{r, gate});
  b.mul = static_cast<int>(g.nodes.size()) - 1;
  core::Attributes a;
  a.kernel_h = a.kernel_w = kernel;
  a.stride_h = a.stride_w = stride;
  const int w = g.add_constant("w", {8, kernel, kernel, 16}, core::DType::int8);
  const int out = g.add_node(core::OpType::conv2d, "project", {y, w}, a);
  b.conv = static_cast<int>(g.nodes.size()) - 1;
  for (const int t : {r, gate, y, out}) g.tensor(t).dtype = core::DType::int8;
  g.mark_output(out);
  if (y_also_output) g.mark_output(y);
  return b;
}

TEST(MulFusion, GatesAndAttentionBeforeAPointwiseConvolution) {
  for (const bool attention : {false, true}) {
    for (const bool gate_first : {false, true}) {
      const Built b = gated(attention, 1, 1, false, gate_first);
      const std::vector<FusedMultiply> c = multiply_fusion_candidates(b.g);
      ASSERT_EQ(c.size(), 1u) << attention << gate_first;
      EXPECT_EQ(c[0].mul, b.mul);
      EXPECT_EQ(c[0].conv, b.conv);
    }
  }
}

TEST(MulFusion, NotWhereTheConvolutionIsNotPointwiseOrTheProductIsReadElsewhere) {
  EXPECT_TRUE(multiply_fusion_candidates(gated(false, 3).g).empty());          // 3x3 kernel
  EXPECT_TRUE(multiply_fusion_candidates(gated(false, 1, 2).g).empty());       // stride 2
  EXPECT_TRUE(multiply_fusion_candidates(gated(true, 1, 1, true).g).empty());  // y an output
  // Float tensors only with int8_activations (the cost model's view of a float graph).
  Built f = gated(true);
  for (core::Tensor& t : f.g.tensors) {
    if (!t.is_constant) t.dtype = core::DType::float32;
  }
  EXPECT_TRUE(multiply_fusion_candidates(f.g).empty());
  EXPECT_EQ(multiply_fusion_candidates(f.g, true).size(), 1u);
  // A second reader of the product.
  Built twice = gated(false);
  const int y = twice.g.nodes[static_cast<std::size_t>(twice.mul)].outputs[0];
  twice.g.mark_output(twice.g.add_node(core::OpType::relu, "again", {y}));
  EXPECT_TRUE(multiply_fusion_candidates(twice.g).empty());
}

// Every PhiNet squeeze-excite multiply feeds its block's projection; XiNet's SiLU and
// attention products feed a compression convolution where one follows.
TEST(MulFusion, NetworksOfferTheirSqueezeExciteAndAttentionProducts) {
  nets::PhiNetConfig pc;
  pc.input = {3, 96, 96};
  pc.alpha = 0.25;
  const core::Graph phinet = core::lower_for_deployment(nets::build_phinet(pc));
  int muls = 0;
  for (const core::Node& n : phinet.nodes) muls += n.op == core::OpType::mul ? 1 : 0;
  const std::vector<FusedMultiply> c = multiply_fusion_candidates(phinet, true);
  EXPECT_GT(muls, 0);
  EXPECT_EQ(static_cast<int>(c.size()), muls);
  for (const FusedMultiply& f : c) {  // the projection of the multiply's own block
    const std::string& mul = phinet.nodes[static_cast<std::size_t>(f.mul)].name;
    const std::string block = mul.substr(0, mul.find("._layers") + 1);  // "_layers.3."
    EXPECT_EQ(phinet.nodes[static_cast<std::size_t>(f.conv)].name.rfind(block, 0), 0u) << mul;
  }
  nets::XiNetConfig xc;
  xc.input = {3, 96, 96};
  xc.alpha = 0.5;
  const core::Graph xinet = core::lower_for_deployment(nets::build_xinet(xc));
  const std::vector<FusedMultiply> x = multiply_fusion_candidates(xinet, true);
  EXPECT_FALSE(x.empty());
  for (const FusedMultiply& f : x) {
    EXPECT_NE(xinet.nodes[static_cast<std::size_t>(f.conv)].name.find("compression_conv"),
              std::string::npos)
        << xinet.nodes[static_cast<std::size_t>(f.conv)].name;
  }
}

}  // namespace
}  // namespace tinyscale::engine
