// Activation fusion (engine/activation_fusion.h): which conv2d + activation pairs fuse, and on
// random int8 graphs (convolutions of every kind, each followed by every fusable activation)
// the fused model computes byte for byte the outputs of the model that runs every node, while
// its RAM is what the one formula (engine::ram_breakdown) says.
#include "engine/activation_fusion.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/ops.h"
#include "engine/engine.h"
#include "engine/kernels/device/clip.h"

namespace tinyscale::engine {
namespace {

void quantize_as(core::Graph& g, int id, float scale, std::int64_t zero_point) {
  core::Tensor& t = g.tensors[static_cast<std::size_t>(id)];
  t.quantization.scales = {scale};
  t.quantization.zero_points = {zero_point};
}

constexpr core::OpType kActivations[] = {core::OpType::hard_swish, core::OpType::sigmoid,
                                         core::OpType::tanh,       core::OpType::leaky_relu,
                                         core::OpType::relu,       core::OpType::clip,
                                         core::OpType::quantize};

// An int8 conv2d on `x`: 1x1, 3x3 (stride 1 or 2) or depthwise 3x3 (stride 1: the in-place
// depthwise path when its input dies at it), random weights and per-channel scales.
int add_conv(core::Graph& g, std::mt19937& rng, int x, int kind) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::int64_t c = g.tensor(x).shape[3];
  core::Attributes a;
  std::int64_t out_c = 4 + pick(8), in_per_group = c;
  if (kind >= 1) {
    a.kernel_h = a.kernel_w = 3;
    a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = 1;
  }
  if (kind == 2) a.stride_h = a.stride_w = 2;
  if (kind == 3) {
    a.groups = static_cast<int>(c);
    out_c = c;
    in_per_group = 1;
  }
  const std::string name = "conv" + std::to_string(g.nodes.size());
  const int w =
      g.add_constant(name + ".w", {out_c, a.kernel_h, a.kernel_w, in_per_group}, core::DType::int8);
  const int b = g.add_constant(name + ".b", {out_c}, core::DType::int32);
  core::Tensor& wt = g.tensor(w);
  core::Tensor& bt = g.tensor(b);
  wt.data.resize(static_cast<std::size_t>(core::num_elements(wt.shape)));
  bt.data.resize(static_cast<std::size_t>(out_c * 4));
  for (auto& v : wt.mutable_values<std::int8_t>()) v = static_cast<std::int8_t>(rng());
  const float in_scale = g.tensor(x).quantization.scales[0];
  for (std::int64_t k = 0; k < out_c; ++k) {
    const float ws = 0.002f + 0.002f * static_cast<float>(pick(4));
    wt.quantization.scales.push_back(ws);
    wt.quantization.zero_points.push_back(0);
    bt.quantization.scales.push_back(in_scale * ws);
    bt.quantization.zero_points.push_back(0);
    bt.mutable_values<std::int32_t>()[static_cast<std::size_t>(k)] = pick(2001) - 1000;
  }
  wt.quantization.axis = 0;
  if (pick(3) == 0) a.fused_activation = core::FusedActivation::relu;
  const int y = g.add_node(core::OpType::conv2d, name, {x, w, b}, a);
  quantize_as(g, y, 0.04f + 0.01f * static_cast<float>(pick(4)), pick(21) - 10);
  return y;
}

int add_activation(core::Graph& g, std::mt19937& rng, int x, core::OpType op) {
  core::Attributes a;
  a.clip_min = 0.0f;
  a.clip_max = 3.0f;
  a.leaky_alpha = 0.1f;
  const int y = g.add_node(op, "act" + std::to_string(g.nodes.size()), {x}, a);
  if (op == core::OpType::sigmoid) {
    quantize_as(g, y, 1.0f / 256, -128);
  } else if (op == core::OpType::tanh) {
    quantize_as(g, y, 1.0f / 128, 0);
  } else if (op == core::OpType::relu || op == core::OpType::clip) {
    // Same quantization as the input (clip's rule) or a different one (a requantizing relu).
    const core::Quantization& q = g.tensor(x).quantization;
    if (op == core::OpType::clip || rng() % 2) {
      quantize_as(g, y, q.scales[0], q.zero_points[0]);
    } else {
      quantize_as(g, y, 0.03f, -128);
    }
  } else {
    quantize_as(g, y, 0.02f + 0.01f * static_cast<float>(rng() % 4),
                static_cast<std::int64_t>(rng() % 21) - 10);
  }
  return y;
}

TEST(ActivationFusion, FusesAConvWhoseOutputOnlyTheActivationReads) {
  std::mt19937 rng(1);
  core::Graph g;
  const int x = g.add_input("x", {1, 5, 5, 4}, core::DType::int8);
  quantize_as(g, x, 0.05f, 0);
  const int c1 = add_conv(g, rng, x, 0);
  const int a1 = add_activation(g, rng, c1, core::OpType::hard_swish);  // fuses: node 1 into 0
  const int c2 = add_conv(g, rng, a1, 1);
  const int a2 = add_activation(g, rng, c2, core::OpType::relu);  // c2 read twice: no fusion
  const int j = g.add_node(core::OpType::add, "add", {a2, c2});
  quantize_as(g, j, 0.05f, 0);
  const int c3 = add_conv(g, rng, j, 0);
  add_activation(g, rng, c3, core::OpType::sigmoid);  // c3 is a graph output: no fusion
  g.mark_output(c3);
  const int c4 = add_conv(g, rng, j, 0);
  const int p = g.add_node(core::OpType::max_pool, "pool", {c4});  // not an activation
  quantize_as(g, p, g.tensor(c4).quantization.scales[0], g.tensor(c4).quantization.zero_points[0]);
  g.mark_output(p);
  g.mark_output(g.nodes[6].outputs[0]);

  const ActivationFusion f = plan_activation_fusion(g, false);
  EXPECT_EQ(f.count, 1);
  EXPECT_EQ(f.activation, (std::vector<int>{1, -1, -1, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(f.fused_into, (std::vector<int>{-1, 0, -1, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(no_activation_fusion(g).count, 0);

  // A float graph sized for int8 fuses alike; at real dtypes it does not.
  core::Graph as_float = g;
  for (core::Tensor& t : as_float.tensors) {
    if (!t.is_constant) t.dtype = core::DType::float32;
  }
  EXPECT_EQ(plan_activation_fusion(as_float, true).activation, f.activation);
  EXPECT_EQ(plan_activation_fusion(as_float, false).count, 0);

  // The table is the activation's own kernel over -128..127; the conv's params point at it.
  CompiledModel m;
  char error[256] = "";
  ASSERT_EQ(m.compile(g, {}, error, sizeof error), Status::ok) << error;
  ASSERT_NE(m.activation_table(0), nullptr);
  EXPECT_EQ(m.activation_table(2), nullptr);
  EXPECT_EQ(m.activation_fusion().activation, f.activation);
  // Compiling without fusion: RAM differs by the table, one node and one tensor.
  CompiledModel plain;
  ASSERT_EQ(plain.compile(g, {.fuse_activations = false}, error, sizeof error), Status::ok);
  EXPECT_EQ(plain.activation_table(0), nullptr);
  const std::int64_t hard_swish_state = 32;  // HardSwishS8Params: 7 int32 fields, 8-aligned
  EXPECT_EQ(m.ram().kernel_state - plain.ram().kernel_state,
            kActivationTableBytes - hard_swish_state);
  EXPECT_EQ(plain.ram().runtime_structures - m.ram().runtime_structures,
            kRuntimeBytesPerNode + kRuntimeBytesPerTensor);
  EXPECT_EQ(m.ram().activation_arena, plain.ram().activation_arena);
}

TEST(ActivationFusion, TableIsTheActivationKernelOverEveryInt8Value) {
  // clip's device kernel clamps to [lower, upper]; the params' element count (1 here) is
  // replaced by the table's 256.
  const device::ClipS8Params clip = {1, -5, 100};
  std::int8_t table[256];
  ASSERT_TRUE(activation_table_s8(core::OpType::clip, &clip, table));
  for (int i = 0; i < 256; ++i) EXPECT_EQ(table[i], std::clamp(i - 128, -5, 100)) << i;
  EXPECT_FALSE(activation_table_s8(core::OpType::softmax, &clip, table));
  EXPECT_TRUE(op_fuses_into_conv(core::OpType::quantize));
  EXPECT_FALSE(op_fuses_into_conv(core::OpType::add));
}

// Random chains: conv -> activation (every op, every conv kind), sometimes a second reader or
// a graph output that blocks fusion; fused and unfused runs agree byte for byte, on the
// in-place plan and on the no-reuse plan, and compile's RAM is the formula's.
TEST(ActivationFusion, RandomGraphsAreBitExactAndPriced) {
  std::mt19937 rng(15);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int fused_total = 0;
  constexpr int kOps = static_cast<int>(std::size(kActivations));
  std::vector<int> fused_by_op(kOps, 0);
  for (int i = 0; i < 60; ++i) {
    core::Graph g;
    const int x = g.add_input("x", {1, 3 + pick(6), 3 + pick(6), 2 + pick(6)}, core::DType::int8);
    quantize_as(g, x, 0.05f, pick(11) - 5);
    int t = x;
    const int links = 2 + pick(4);
    for (int k = 0; k < links; ++k) {
      const int conv = add_conv(g, rng, t, pick(4));
      const auto op = kActivations[static_cast<std::size_t>(pick(kOps))];
      t = add_activation(g, rng, conv, op);
      if (pick(4) == 0) t = add_activation(g, rng, t, core::OpType::relu);  // a second one
      if (pick(6) == 0) g.mark_output(conv);  // no fusion: the conv's output is an output
    }
    g.mark_output(t);
    SCOPED_TRACE("graph " + std::to_string(i) + ": " + std::to_string(g.nodes.size()) + " nodes");

    const ActivationFusion f = plan_activation_fusion(g, false);
    fused_total += f.count;
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      if (f.fused_into[n] < 0) continue;
      for (std::size_t o = 0; o < fused_by_op.size(); ++o) {
        fused_by_op[o] += g.nodes[n].op == kActivations[o] ? 1 : 0;
      }
    }
    const core::Tensor& xt = g.tensor(x);
    std::vector<std::uint8_t> input(static_cast<std::size_t>(core::num_elements(xt.shape)));
    for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    char error[256] = "";
    // The in-place plan, the no-reuse plan, and a plan without in-place (no fusion then: the
    // activation's output would not be live at the convolution's step).
    for (const int mode : {0, 1, 2}) {
      const bool no_reuse = mode == 1, in_place = mode != 2;
      CompiledModel fused, plain;
      ASSERT_EQ(fused.compile(g, {.in_place = in_place, .no_reuse = no_reuse}, error, sizeof error),
                Status::ok)
          << error;
      ASSERT_EQ(
          plain.compile(g, {.in_place = in_place, .no_reuse = no_reuse, .fuse_activations = false},
                        error, sizeof error),
          Status::ok)
          << error;
      EXPECT_EQ(fused.activation_fusion().count, mode == 2 ? 0 : f.count);
      std::memcpy(fused.input(0).data, input.data(), input.size());
      std::memcpy(plain.input(0).data, input.data(), input.size());
      ASSERT_EQ(fused.run(), Status::ok);
      ASSERT_EQ(plain.run(), Status::ok);
      for (std::size_t k = 0; k < g.outputs.size(); ++k) {
        const core::Tensor& y = g.tensor(g.outputs[k]);
        const auto bytes = static_cast<std::size_t>(core::num_elements(y.shape));
        ASSERT_EQ(0, std::memcmp(fused.output(static_cast<int>(k)).data,
                                 plain.output(static_cast<int>(k)).data, bytes))
            << "output " << k << ", mode " << mode;
      }
      // The RAM compile allocates is the formula's, fused or not (the cost model's form for
      // the in-place plan); fusion adds no arena byte.
      EXPECT_EQ(fused.ram().total(), ram_breakdown(g, fused.arena_plan().plan.peak_bytes,
                                                   core::DType::int8, fused.activation_fusion())
                                         .total());
      if (mode == 0) {
        EXPECT_EQ(fused.ram().total(),
                  ram_breakdown(g, fused.arena_plan().plan.peak_bytes, core::DType::int8).total());
      }
      EXPECT_EQ(plain.ram().total(), ram_breakdown(g, plain.arena_plan().plan.peak_bytes,
                                                   core::DType::int8, no_activation_fusion(g))
                                         .total());
      EXPECT_LE(fused.arena_plan().plan.peak_bytes, plain.arena_plan().plan.peak_bytes);
    }
  }
  EXPECT_GT(fused_total, 100);
  for (std::size_t o = 0; o < fused_by_op.size(); ++o) {
    EXPECT_GT(fused_by_op[o], 3) << core::op_name(kActivations[o]);
  }
}

}  // namespace
}  // namespace tinyscale::engine
