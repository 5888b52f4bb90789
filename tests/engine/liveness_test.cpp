#include "engine/liveness.h"

#include <gtest/gtest.h>

#include <tuple>

#include "core/passes.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace tinyscale::engine {
namespace {

// x -> a -> b -> add(b, a): the residual keeps `a` alive across `b`.
core::Graph residual_chain() {
  core::Graph g;
  const int x = g.add_input("x", {1, 10, 10, 4});  // 400 B as int8
  const int a = g.add_node(core::OpType::relu, "a", {x});
  const int b = g.add_node(core::OpType::sigmoid, "b", {a});
  g.mark_output(g.add_node(core::OpType::add, "sum", {b, a}));
  return g;
}

TEST(Liveness, LifetimesFollowReadersAndOutputs) {
  const core::Graph g = residual_chain();
  const ArenaBuffers buffers = collect_arena_buffers(g, {.in_place = false});
  ASSERT_EQ(buffers.buffers.size(), 4u);
  // x [0,0], a [0,2], b [1,2], sum [2,2].
  EXPECT_EQ(buffers.buffers[0].first_use, 0);
  EXPECT_EQ(buffers.buffers[0].last_use, 0);
  EXPECT_EQ(buffers.buffers[1].first_use, 0);
  EXPECT_EQ(buffers.buffers[1].last_use, 2);
  EXPECT_EQ(buffers.buffers[2].first_use, 1);
  EXPECT_EQ(buffers.buffers[3].last_use, 2);
  EXPECT_EQ(buffers.buffers[0].size, 400);
  const ArenaBuffers float_sized =
      collect_arena_buffers(g, {.int8_activations = false, .in_place = false});
  EXPECT_EQ(float_sized.buffers[0].size, 1600);
  EXPECT_EQ(buffers.tensor_buffer, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(buffers.in_place_input, (std::vector<int>{-1, -1, -1}));
}

TEST(Liveness, PlanOfResidualChain) {
  const ArenaPlan p = plan_arena(residual_chain(), {.in_place = false});
  // Step 2 needs a, b and sum at once: 3 × 400 (aligned to 16: 400).
  EXPECT_EQ(p.plan.lower_bound_bytes, 1200);
  EXPECT_EQ(p.plan.peak_bytes, 1200);
  EXPECT_EQ(p.live_bytes_at_step, (std::vector<std::int64_t>{800, 800, 1200}));
  EXPECT_TRUE(plan_is_valid(p.buffers.buffers, p.plan, kArenaAlignment));
}

TEST(Liveness, InPlaceAddWritesOverTheInputThatDies) {
  // x (graph input: never overwritten) -> a = relu(x) -> b = sigmoid(a) -> sum = add(b, a).
  // a is read again by the add, so the sigmoid cannot overwrite it; the add overwrites b
  // (its first input that dies there), and sum, a graph output, shares b's buffer.
  const core::Graph g = residual_chain();
  const ArenaBuffers buffers = collect_arena_buffers(g, {});
  EXPECT_EQ(buffers.in_place_input, (std::vector<int>{-1, -1, 2}));
  ASSERT_EQ(buffers.buffers.size(), 3u);
  EXPECT_EQ(buffers.tensor_buffer, (std::vector<int>{0, 1, 2, 2}));
  EXPECT_EQ(buffers.buffers[2].first_use, 1);  // b's first use to sum's last
  EXPECT_EQ(buffers.buffers[2].last_use, 2);
  const ArenaPlan p = plan_arena(g);
  EXPECT_EQ(p.plan.peak_bytes, 800);
  EXPECT_EQ(p.live_bytes_at_step, (std::vector<std::int64_t>{800, 800, 800}));
  EXPECT_EQ(p.tensor_offsets[3], p.tensor_offsets[2]);
  EXPECT_NE(p.tensor_offsets[1], p.tensor_offsets[2]);
}

TEST(Liveness, InPlaceChainsMergeAndSkipWhatCannotBeOverwritten) {
  core::Graph g;
  const int x = g.add_input("x", {1, 8, 8, 16}, core::DType::int8);
  const int c = g.add_node(core::OpType::relu, "c", {x});        // node 0: x is a graph input
  const int h = g.add_node(core::OpType::hard_swish, "h", {c});  // 1: over c
  const int se = g.add_node(core::OpType::global_avg_pool, "se", {h});  // 2
  const int s = g.add_node(core::OpType::sigmoid, "s", {se});           // 3: over se
  const int m = g.add_node(core::OpType::mul, "m", {s, h});  // 4: over h, not the smaller s
  core::Attributes pool;
  pool.kernel_h = pool.kernel_w = pool.stride_h = pool.stride_w = 2;
  const int p = g.add_node(core::OpType::max_pool, "p", {m}, pool);  // 5
  const int q = g.add_node(core::OpType::dequantize, "q", {p});      // 6: int8 -> float
  g.tensors[static_cast<std::size_t>(q)].dtype = core::DType::float32;
  g.mark_output(q);
  const ArenaBuffers buffers = collect_arena_buffers(g, {.int8_activations = false});
  EXPECT_EQ(buffers.in_place_input, (std::vector<int>{-1, c, -1, se, h, -1, -1}));
  EXPECT_EQ(buffers.tensor_buffer[static_cast<std::size_t>(h)],
            buffers.tensor_buffer[static_cast<std::size_t>(c)]);
  EXPECT_EQ(buffers.tensor_buffer[static_cast<std::size_t>(m)],
            buffers.tensor_buffer[static_cast<std::size_t>(c)]);
  EXPECT_EQ(buffers.tensor_buffer[static_cast<std::size_t>(s)],
            buffers.tensor_buffer[static_cast<std::size_t>(se)]);
  // c, h and m in one buffer from c's step to m's last reader, the pool.
  const PlannerBuffer& chain =
      buffers.buffers[static_cast<std::size_t>(buffers.tensor_buffer[static_cast<std::size_t>(c)])];
  EXPECT_EQ(chain.first_use, 0);
  EXPECT_EQ(chain.last_use, 5);
  EXPECT_EQ(chain.size, 8 * 8 * 16);
  // Off: one buffer per tensor; no_reuse: each live over the whole run.
  EXPECT_EQ(collect_arena_buffers(g, {.in_place = false}).buffers.size(), 8u);
  for (const PlannerBuffer& b : collect_arena_buffers(g, {.no_reuse = true}).buffers) {
    EXPECT_EQ(b.first_use, 0);
    EXPECT_EQ(b.last_use, 6);
  }
}

// x -> relu -> 3x3 depthwise (stride, multiplier, padding) -> relu: the depthwise overwrites
// the first relu's output only when its output has that shape, and then owns an H x W scratch.
TEST(Liveness, InPlaceDepthwiseOnlyKeepingTheShapeWithAPlaneOfScratch) {
  auto plan = [](int stride, int multiplier, int pad, core::DType dtype, bool int8_activations) {
    core::Graph g;
    const int x = g.add_input("x", {1, 10, 8, 4}, dtype);
    const int a = g.add_node(core::OpType::relu, "a", {x});
    core::Attributes dw;
    dw.kernel_h = dw.kernel_w = 3;
    dw.stride_h = dw.stride_w = stride;
    dw.pad_top = dw.pad_bottom = dw.pad_left = dw.pad_right = pad;
    dw.groups = 4;
    const int w = g.add_constant("w", {4 * multiplier, 3, 3, 1}, dtype);
    const int y = g.add_node(core::OpType::conv2d, "dw", {a, w}, dw);
    g.mark_output(g.add_node(core::OpType::relu, "out", {y}));
    return collect_arena_buffers(g, {.int8_activations = int8_activations});
  };
  const ArenaBuffers same = plan(1, 1, 1, core::DType::int8, false);
  EXPECT_EQ(same.in_place_input, (std::vector<int>{-1, 1, 3}));
  ASSERT_EQ(same.node.back(), 1);
  EXPECT_EQ(same.buffers.back().size, 10 * 8);
  EXPECT_EQ(same.buffers.back().first_use, 1);
  EXPECT_EQ(same.buffers.back().last_use, 1);
  // A float graph sized as int8 (the cost model's figure) chooses alike; at float sizes not.
  EXPECT_EQ(plan(1, 1, 1, core::DType::float32, true).in_place_input, same.in_place_input);
  EXPECT_EQ(plan(1, 1, 1, core::DType::float32, false).in_place_input[1], -1);
  for (const auto& [stride, multiplier, pad] :
       {std::tuple{2, 1, 1}, std::tuple{1, 2, 1}, std::tuple{1, 1, 0}}) {
    const ArenaBuffers other = plan(stride, multiplier, pad, core::DType::int8, false);
    EXPECT_EQ(other.in_place_input[1], -1) << stride << " " << multiplier << " " << pad;
    for (const int n : other.node) EXPECT_NE(n, 1);  // no scratch
  }
}

// Deployment's plan runs a depthwise convolution out of place unless in place lowers the peak,
// and its peak is plan_arena's to the byte either way.
TEST(Liveness, OutOfPlaceDepthwiseWhereInPlaceSavesNothing) {
  // x (c channels) -> 1x1 conv to 16 channels -> 3x3 depthwise -> relu.
  auto graph = [](std::int64_t c) {
    core::Graph g;
    const int x = g.add_input("x", {1, 10, 8, c});
    const int w1 = g.add_constant("w1", {16, 1, 1, c});
    const int a = g.add_node(core::OpType::conv2d, "pw", {x, w1});
    core::Attributes dw;
    dw.kernel_h = dw.kernel_w = 3;
    dw.pad_top = dw.pad_bottom = dw.pad_left = dw.pad_right = 1;
    dw.groups = 16;
    const int w2 = g.add_constant("w2", {16, 3, 3, 1});
    const int y = g.add_node(core::OpType::conv2d, "dw", {a, w2}, dw);
    g.mark_output(g.add_node(core::OpType::relu, "out", {y}));
    return g;
  };
  // 1 input channel: the depthwise step (1280 + 1280 B out of place) is the peak, so in place
  // (1280 B + an 80 B plane) stays.
  const core::Graph thin = graph(1);
  const ArenaPlan thin_plain = plan_arena(thin);
  const ArenaPlan thin_deploy = plan_arena_for_deployment(thin, {});
  EXPECT_EQ(thin_plain.buffers.in_place_input[1], 2);  // over tensor 2, the 1x1's output
  EXPECT_EQ(thin_deploy.buffers.in_place_input[1], 2);
  EXPECT_EQ(thin_deploy.plan.peak_bytes, thin_plain.plan.peak_bytes);
  // 64 input channels: the 1x1 step (5120 + 1280 B) is the peak; out of place costs nothing.
  const core::Graph wide = graph(64);
  const ArenaPlan wide_plain = plan_arena(wide);
  const ArenaPlan wide_deploy = plan_arena_for_deployment(wide, {});
  EXPECT_EQ(wide_plain.buffers.in_place_input[1], 2);
  EXPECT_EQ(wide_deploy.buffers.in_place_input[1], -1);
  EXPECT_EQ(wide_deploy.plan.peak_bytes, wide_plain.plan.peak_bytes);
  // The relu still runs in place over the depthwise output.
  EXPECT_EQ(wide_deploy.buffers.in_place_input[2], 4);
  // Without in place there is nothing to choose.
  EXPECT_EQ(plan_arena_for_deployment(wide, {.in_place = false}).plan.peak_bytes,
            plan_arena(wide, {.in_place = false}).plan.peak_bytes);
}

// A node's optional scratch (here what the fully connected layers' prepare reports: the fast
// device kernel's int16 copy of the input, fully_connected_fast_test checks when) joins the
// deployment plan only where the peak stays as it is: in the MLPerf autoencoder's shape of
// layers, the 640 -> 128 and 128 -> 640 steps are the peak (768 B), the 128 -> 128 step
// between them has 512 B free.
TEST(Liveness, OptionalScratchOnlyWhereThePeakStays) {
  core::Graph g;
  const int x = g.add_input("x", {1, 640}, core::DType::int8);
  const int a = g.add_node(core::OpType::fully_connected, "fc1",
                           {x, g.add_constant("w1", {128, 640}, core::DType::int8)});
  const int b = g.add_node(core::OpType::fully_connected, "fc2",
                           {a, g.add_constant("w2", {128, 128}, core::DType::int8)});
  const int y = g.add_node(core::OpType::fully_connected, "fc3",
                           {b, g.add_constant("w3", {640, 128}, core::DType::int8)});
  for (const int t : {a, b, y}) g.tensor(t).dtype = core::DType::int8;
  g.mark_output(y);
  const std::vector<std::int64_t> optional = {1280, 256, 256};  // 2 x in_features
  const std::vector<std::int64_t> scratch(3, 0);
  const ArenaPlan plain = plan_arena(g, {.node_scratch_bytes = scratch});
  const ArenaPlan deploy = plan_arena_for_deployment(
      g, {.node_scratch_bytes = scratch, .node_optional_scratch_bytes = optional});
  EXPECT_EQ(plain.plan.peak_bytes, 768);
  EXPECT_EQ(deploy.plan.peak_bytes, 768);
  std::vector<int> owners;
  for (std::size_t i = 0; i < deploy.buffers.node.size(); ++i) {
    if (deploy.buffers.node[i] < 0) continue;
    owners.push_back(deploy.buffers.node[i]);
    EXPECT_EQ(deploy.buffers.buffers[i].size, 256);
    // Apart from both tensors live at fc2's step.
    const std::int64_t at = deploy.plan.offsets[i];
    for (const int t : {a, b}) {
      const std::int64_t t_at = deploy.tensor_offsets[static_cast<std::size_t>(t)];
      EXPECT_TRUE(at + 256 <= t_at || t_at + 128 <= at) << t;
    }
  }
  EXPECT_EQ(owners, std::vector<int>{1});
  // Without the kernels' scratch figures there is nothing to add to.
  const ArenaPlan estimate =
      plan_arena_for_deployment(g, {.node_optional_scratch_bytes = optional});
  for (const int n : estimate.buffers.node) EXPECT_LT(n, 0);
}

// A squeeze-excite multiply fused into the 1x1 convolution reading it (engine/mul_fusion.h):
// its gate must live until the convolution. x -> relu r -> gate = pool(r) -> y = r * gate
// (in place over r) -> conv(y). The deployment plan takes the pair where the peak stays.
core::Graph squeeze_excite(std::int64_t out_channels) {
  core::Graph g;
  const int x = g.add_input("x", {1, 8, 8, 16}, core::DType::int8);  // 1024 B
  const int r = g.add_node(core::OpType::relu, "r", {x});
  const int gate = g.add_node(core::OpType::global_avg_pool, "pool", {r});  // 16 B
  const int y = g.add_node(core::OpType::mul, "mult", {r, gate});
  const int w = g.add_constant("w", {out_channels, 1, 1, 16}, core::DType::int8);
  const int out = g.add_node(core::OpType::conv2d, "project", {y, w});
  for (const int t : {r, gate, y, out}) g.tensor(t).dtype = core::DType::int8;
  g.mark_output(out);
  return g;
}

TEST(Liveness, FusedMultiplyKeepsItsOtherOperandUntilTheConvolution) {
  const core::Graph g = squeeze_excite(8);
  const int gate = g.nodes[1].outputs[0];
  const int out = g.nodes[3].outputs[0];
  const FusedMultiply pair[] = {{2, 3}};
  // plan_arena takes what it is given: the mul runs in place over r, the gate lives to step 3.
  const ArenaPlan forced = plan_arena(g, {.fused_multiplies = pair});
  EXPECT_EQ(forced.buffers.in_place_input[2], g.nodes[0].outputs[0]);
  EXPECT_EQ(forced.buffers.fused_multiply_into[2], 3);
  const PlannerBuffer& b =
      forced.buffers.buffers[static_cast<std::size_t>(forced.buffers.tensor_buffer[gate])];
  EXPECT_EQ(b.last_use, 3);
  const std::int64_t gate_at = forced.tensor_offsets[static_cast<std::size_t>(gate)];
  const std::int64_t out_at = forced.tensor_offsets[static_cast<std::size_t>(out)];
  EXPECT_TRUE(gate_at + 16 <= out_at || out_at + 512 <= gate_at);
  EXPECT_EQ(plan_arena(g).buffers.fused_multiply_into[2], -1);  // none given: none
  // The peak is the relu's step (x and r, 2048 B): the pair costs nothing and is taken.
  const ArenaPlan deploy = plan_arena_for_deployment(g, {.fused_multiplies = pair});
  EXPECT_EQ(deploy.plan.peak_bytes, plan_arena(g).plan.peak_bytes);
  EXPECT_EQ(deploy.buffers.fused_multiply_into[2], 3);
  // With 64 output channels the convolution's step is the peak (1024 + 4096 B): keeping the
  // gate would add 16 B, so the pair is left out.
  const core::Graph wide = squeeze_excite(64);
  const ArenaPlan wide_deploy = plan_arena_for_deployment(wide, {.fused_multiplies = pair});
  EXPECT_EQ(wide_deploy.plan.peak_bytes, plan_arena(wide).plan.peak_bytes);
  EXPECT_EQ(wide_deploy.buffers.fused_multiply_into[2], -1);
  EXPECT_GT(plan_arena(wide, {.fused_multiplies = pair}).plan.peak_bytes,
            wide_deploy.plan.peak_bytes);
  // A multiply that cannot run in place (its operand is a graph input) is never fused.
  core::Graph direct;
  const int x = direct.add_input("x", {1, 8, 8, 16}, core::DType::int8);
  const int s = direct.add_node(core::OpType::global_avg_pool, "pool", {x});
  const int y = direct.add_node(core::OpType::mul, "mult", {x, s});
  const int w = direct.add_constant("w", {8, 1, 1, 16}, core::DType::int8);
  const int o = direct.add_node(core::OpType::conv2d, "project", {y, w});
  for (const int t : {s, y, o}) direct.tensor(t).dtype = core::DType::int8;
  direct.mark_output(o);
  const FusedMultiply direct_pair[] = {{1, 2}};
  EXPECT_EQ(plan_arena_for_deployment(direct, {.fused_multiplies = direct_pair})
                .buffers.fused_multiply_into[1],
            -1);
}

TEST(Liveness, ConstantsAreNotInTheArena) {
  core::Graph g;
  const int x = g.add_input("x", {1, 4});
  g.mark_output(
      g.add_node(core::OpType::fully_connected, "fc", {x, g.add_constant("w", {1000, 4})}));
  const ArenaPlan p = plan_arena(g);
  EXPECT_EQ(p.tensor_offsets[1], -1);
  EXPECT_EQ(p.plan.peak_bytes, 16 + 1008);  // 4 → 16 and 1000 → 1008 after alignment
}

TEST(Liveness, NetworkPlansAreValidAndReportTheirGap) {
  nets::PhiNetConfig pc;
  pc.input = {3, 96, 96};
  nets::XiNetConfig xc;
  xc.input = {3, 96, 96};
  xc.alpha = 0.5;
  for (const core::Graph& g : {core::lower_for_deployment(nets::build_phinet(pc)),
                               core::lower_for_deployment(nets::build_xinet(xc))}) {
    const ArenaPlan best = plan_arena(g, {.algorithm = PlannerAlgorithm::best_of});
    const ArenaPlan greedy = plan_arena(g, {.algorithm = PlannerAlgorithm::greedy_by_size});
    EXPECT_TRUE(plan_is_valid(best.buffers.buffers, best.plan, kArenaAlignment));
    EXPECT_TRUE(plan_is_valid(greedy.buffers.buffers, greedy.plan, kArenaAlignment));
    EXPECT_GE(best.plan.peak_bytes, best.plan.lower_bound_bytes);
    EXPECT_LE(best.plan.peak_bytes, greedy.plan.peak_bytes);
    std::printf("  %zu nodes: best_of %lld B, greedy %lld B, lower bound %lld B\n", g.nodes.size(),
                static_cast<long long>(best.plan.peak_bytes),
                static_cast<long long>(greedy.plan.peak_bytes),
                static_cast<long long>(best.plan.lower_bound_bytes));
  }
}

// PhiNet's peak without in-place execution holds an expansion convolution's output and its
// hard-swish output at once: in place, the pair is one buffer.
TEST(Liveness, InPlaceLowersPhiNetsPeakBy1_6) {
  nets::PhiNetConfig pc;
  pc.input = {3, 96, 96};
  pc.alpha = 0.25;
  const core::Graph g = core::lower_for_deployment(nets::build_phinet(pc));
  const ArenaPlan plain = plan_arena(g, {.in_place = false});
  const ArenaPlan in_place = plan_arena(g);
  EXPECT_EQ(plain.plan.peak_bytes, 165888);
  EXPECT_EQ(in_place.plan.peak_bytes, 103680);
  EXPECT_EQ(in_place.plan.peak_bytes, in_place.plan.lower_bound_bytes);
  EXPECT_TRUE(plan_is_valid(in_place.buffers.buffers, in_place.plan, kArenaAlignment));
  int hard_swish_in_place = 0;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].op != core::OpType::hard_swish) continue;
    const int in = g.nodes[n].inputs[0];
    if (in_place.buffers.in_place_input[n] != in) continue;
    ++hard_swish_in_place;
    EXPECT_EQ(in_place.tensor_offsets[static_cast<std::size_t>(in)],
              in_place.tensor_offsets[static_cast<std::size_t>(g.nodes[n].outputs[0])]);
  }
  EXPECT_GT(hard_swish_in_place, 10);
}

TEST(Liveness, OneRegionChecksThePeakPlusTheFixedBytes) {
  const core::Graph g = residual_chain();
  const ArenaPlan single = plan_arena(g, {.in_place = false});
  // 1200 B of buffers + 100 fixed bytes fit 1300 B exactly, not 1299.
  for (const std::int64_t capacity : {std::int64_t{1300}, std::int64_t{1299}}) {
    const std::int64_t capacities[] = {capacity};
    const ArenaPlan p = plan_arena(
        g, {.region_capacities = capacities, .home_region_fixed_bytes = 100, .in_place = false});
    EXPECT_EQ(p.fits, capacity == 1300);
    EXPECT_EQ(p.plan.offsets, single.plan.offsets);
    EXPECT_EQ(p.plan.peak_bytes, 1200);
    EXPECT_EQ(p.region_used_bytes(0, 100), 1300);
  }
}

TEST(Liveness, RegionsSplitANetworkThatNoSingleRegionHolds) {
  nets::PhiNetConfig pc;
  pc.input = {3, 96, 96};
  const core::Graph g = core::lower_for_deployment(nets::build_phinet(pc));
  // Without in-place execution its peak is two 55,296-byte buffers live together.
  const ArenaPlan single = plan_arena(g, {.in_place = false});
  const std::int64_t peak = single.plan.peak_bytes;
  // Three regions of 60%, 55% and 25% of the single arena (the fixed bytes in the first):
  // neither holds both, two of them do.
  const std::int64_t capacities[] = {peak * 6 / 10 + 5000, peak * 55 / 100, peak / 4};
  const ArenaPlan p = plan_arena(
      g, {.region_capacities = capacities, .home_region_fixed_bytes = 5000, .in_place = false});
  ASSERT_TRUE(p.fits);
  EXPECT_EQ(p.fixed_region, 0);
  RegionPlan as_regions;
  as_regions.fits = p.fits;
  as_regions.regions = p.buffer_regions;
  as_regions.offsets = p.plan.offsets;
  as_regions.peak_bytes = p.region_peak_bytes;
  const std::int64_t room[] = {capacities[0] - 5000, capacities[1], capacities[2]};
  EXPECT_TRUE(region_plan_is_valid(p.buffers.buffers, room, as_regions, kArenaAlignment));
  std::int64_t total = 0;
  for (int r = 0; r < 3; ++r) {
    EXPECT_LE(p.region_used_bytes(r, 5000), capacities[r]) << "region " << r;
    total += p.region_peak_bytes[static_cast<std::size_t>(r)];
  }
  EXPECT_EQ(p.plan.peak_bytes, total);
  EXPECT_EQ(p.region_peak_bytes[1], 55296);
  // Tensors report the region they were placed in.
  for (std::size_t i = 0; i < p.buffers.buffers.size(); ++i) {
    if (p.buffers.tensor[i] < 0) continue;
    const auto t = static_cast<std::size_t>(p.buffers.tensor[i]);
    EXPECT_EQ(p.tensor_regions[t], p.buffer_regions[i]);
    EXPECT_EQ(p.tensor_offsets[t], p.plan.offsets[i]);
  }
}

}  // namespace
}  // namespace tinyscale::engine
