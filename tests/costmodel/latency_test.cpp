#include "costmodel/latency.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/ops.h"
#include "costmodel/costmodel.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "tests/support/errors.h"

namespace tinyscale::costmodel {
namespace {

using testing_support::error_of;

// A pointwise conv 8 -> 16 on 10x10 (12,800 MACs) then a 3x3 depthwise conv, stride 1,
// pad 1 (10·10·16·9 = 14,400 MACs): no other op, so no elementwise term.
core::Graph conv_and_depthwise() {
  core::Graph g;
  const int x = g.add_input("x", {1, 10, 10, 8});
  const int w1 = g.add_constant("pw.weight", {16, 1, 1, 8});
  const int y = g.add_node(core::OpType::conv2d, "pw", {x, w1});
  core::Attributes dw;
  dw.kernel_h = dw.kernel_w = 3;
  dw.pad_top = dw.pad_bottom = dw.pad_left = dw.pad_right = 1;
  dw.groups = 16;
  const int w2 = g.add_constant("dw.weight", {16, 3, 3, 1});
  const int z = g.add_node(core::OpType::conv2d, "dw", {y, w2}, dw);
  g.mark_output(z);
  return g;
}

TEST(Latency, TableFigures) {
  const CycleCosts& m7 = cycle_costs("cortex-m7");
  EXPECT_DOUBLE_EQ(m7.conv, 0.9);
  EXPECT_DOUBLE_EQ(m7.depthwise, 1.8);
  EXPECT_DOUBLE_EQ(m7.fully_connected, 0.8);
  EXPECT_DOUBLE_EQ(m7.elementwise, 4.0);
  const CycleCosts& m4 = cycle_costs("cortex-m4");
  EXPECT_DOUBLE_EQ(m4.conv, 1.6);
  EXPECT_DOUBLE_EQ(m4.depthwise, 3.0);
  EXPECT_EQ(cycle_costs_table().size(), 6u);
  for (const CycleCosts& row : cycle_costs_table()) {
    SCOPED_TRACE(row.core);
    // Depthwise reuses weights less than a dense conv on every core.
    EXPECT_GT(row.depthwise, row.conv);
    EXPECT_GT(row.elementwise, 0.0);
  }
  // Faster cores take fewer cycles per MAC.
  EXPECT_LT(cycle_costs("cortex-m55").conv, cycle_costs("cortex-m7").conv);
  EXPECT_LT(cycle_costs("cortex-m7").conv, cycle_costs("cortex-m4").conv);
  EXPECT_LT(cycle_costs("cortex-m4").conv, cycle_costs("cortex-m0plus").conv);
}

TEST(Latency, CoreSpellings) {
  EXPECT_STREQ(cycle_costs("m7").core, "cortex-m7");
  EXPECT_STREQ(cycle_costs("Cortex-M7").core, "cortex-m7");
  EXPECT_STREQ(cycle_costs("cortex-m4f").core, "cortex-m4");
  EXPECT_STREQ(cycle_costs("CM4").core, "cortex-m4");
  EXPECT_STREQ(cycle_costs("cortex-m0+").core, "cortex-m0plus");
  EXPECT_STREQ(cycle_costs("m33").core, "cortex-m33");
  EXPECT_STREQ(cycle_costs("lx7").core, "xtensa-lx7");
  EXPECT_STREQ(cycle_costs("esp32s3").core, "xtensa-lx7");
  const std::string m = error_of([] { cycle_costs("riscv32"); });
  EXPECT_EQ(m,
            "unknown core 'riscv32'; known cores: cortex-m0plus, cortex-m4, cortex-m7, "
            "cortex-m33, cortex-m55, xtensa-lx7");
  EXPECT_THROW(cycle_costs(""), Error);
  EXPECT_THROW(cycle_costs("m0"), Error);  // the M0 is not the M0+
}

TEST(Latency, HandBuiltGraphIsMacsTimesCyclesOverClock) {
  const core::Graph g = conv_and_depthwise();
  ASSERT_EQ(core::op_info(core::OpType::conv2d).macs(g, g.nodes[0]), 12800);
  ASSERT_EQ(core::op_info(core::OpType::conv2d).macs(g, g.nodes[1]), 14400);
  // cortex-m7 at 480 MHz: (12800·0.9 + 14400·1.8) / 480000 ms.
  EXPECT_DOUBLE_EQ(estimate_latency_ms(g, "cortex-m7", 480.0), (11520.0 + 25920.0) / 480000.0);
  // cortex-m0plus at 133 MHz: (12800·8 + 14400·10) / 133000.
  EXPECT_DOUBLE_EQ(estimate_latency_ms(g, "m0+", 133.0), (102400.0 + 144000.0) / 133000.0);
}

TEST(Latency, ElementwiseOpsCostPerOutputElementAndFusedActivationsAreFree) {
  core::Graph g = conv_and_depthwise();
  const int relu = g.add_node(core::OpType::relu, "relu", {g.outputs[0]});
  g.outputs = {relu};
  const int pool = g.add_node(core::OpType::global_avg_pool, "pool", {relu});
  g.outputs = {pool};
  // The relu fuses into the depthwise conv; the pool's 16 outputs cost 16·4 cycles on M7.
  EXPECT_DOUBLE_EQ(estimate_latency_ms(g, "cortex-m7", 480.0),
                   (11520.0 + 25920.0 + 16 * 4.0) / 480000.0);
}

TEST(Latency, FloatPhiNetIsLoweredFirst) {
  const core::Graph g = nets::build_phinet(nets::PhiNetConfig{});
  const double ms = estimate_latency_ms(g, "cortex-m7", 480.0);
  // 9.8M MACs at 0.9-1.8 cycles each, plus elementwise work, at 480 MHz: 18-60 ms.
  EXPECT_GT(ms, 9815790 * 0.9 / 480000.0);
  EXPECT_LT(ms, 60.0);
  // Slower core, slower clock.
  EXPECT_GT(estimate_latency_ms(g, "cortex-m4", 120.0), ms * 4.0);
}

TEST(Latency, BreakdownSortsWorkByKernelKind) {
  core::Graph g = conv_and_depthwise();
  const int pool = g.add_node(core::OpType::global_avg_pool, "pool", {g.outputs[0]});
  g.outputs = {pool};
  const ComputeBreakdown work = compute_breakdown(g);
  EXPECT_EQ(work.conv_macs, 12800);
  EXPECT_EQ(work.depthwise_macs, 14400);
  EXPECT_EQ(work.fully_connected_macs, 0);
  EXPECT_EQ(work.elementwise_elements, 16);
  EXPECT_DOUBLE_EQ(estimate_latency_ms(work, "cortex-m7", 480.0),
                   (11520.0 + 25920.0 + 16 * 4.0) / 480000.0);
}

TEST(Latency, PasteCostsACopyOfItsBlock) {
  // A [1, 2, 3, 4] block into a [1, 8, 8, 4] destination: 24 elements copied (in place, the
  // rest of the destination is not touched), like the slice that cut such a block.
  core::Graph g;
  const int d = g.add_input("d", {1, 8, 8, 4});
  const int b = g.add_input("b", {1, 2, 3, 4});
  core::Attributes at;
  at.slice_begin = {0, 1, 2, 0};
  g.outputs = {g.add_node(core::OpType::paste, "paste", {d, b}, at)};
  EXPECT_EQ(compute_breakdown(g).elementwise_elements, 24);
  at.new_shape = {1, 8, 8, 4};
  core::Graph alone;
  const int block = alone.add_input("b", {1, 2, 3, 4});
  alone.outputs = {alone.add_node(core::OpType::paste, "paste", {block}, at)};
  EXPECT_EQ(compute_breakdown(alone).elementwise_elements, 24);
}

// The solver bounds the estimate of each cost report (CostReport::compute); `solve` prints
// the same figure. It must equal the estimate of the graph itself, for every family (the
// report's deployed graph and the estimate's lowering must agree).
TEST(Latency, CostReportGivesTheGraphsEstimate) {
  nets::PhiNetConfig phinet;
  phinet.input = {3, 96, 96};
  phinet.alpha = 0.35;
  phinet.include_top = true;
  nets::XiNetConfig xinet;
  xinet.input = {3, 64, 64};
  xinet.num_layers = 5;
  xinet.include_top = true;
  xinet.num_classes = 10;
  const core::Graph phinet_graph = nets::build_phinet(phinet);
  const CostReport p = analyze(phinet_graph, {.per_layer = false, .compare_greedy = false});
  EXPECT_GT(p.compute.depthwise_macs, 0);  // PhiNet's blocks are depthwise-separable
  for (const core::Graph& g : {phinet_graph, nets::build_xinet(xinet)}) {
    const CostReport r = analyze(g, {.per_layer = false, .compare_greedy = false});
    EXPECT_GT(r.compute.conv_macs, 0);
    EXPECT_GT(r.compute.elementwise_elements, 0);
    EXPECT_EQ(r.compute.conv_macs + r.compute.depthwise_macs + r.compute.fully_connected_macs,
              r.macs);
    for (const char* core : {"cortex-m7", "cortex-m0plus", "xtensa-lx7"}) {
      EXPECT_DOUBLE_EQ(estimate_latency_ms(r.compute, core, 216.0),
                       estimate_latency_ms(g, core, 216.0))
          << core;
    }
  }
}

TEST(Latency, RefusesUnknownCoresAndBadClocks) {
  EXPECT_THROW(estimate_latency_ms(conv_and_depthwise(), "cortex-m7", -1.0), Error);
  EXPECT_THROW(estimate_latency_ms(conv_and_depthwise(), "cortex-m7", 0.0), Error);
  EXPECT_THROW(estimate_latency_ms(ComputeBreakdown{}, "z80", 4.0), Error);
  EXPECT_THROW(estimate_latency_ms(ComputeBreakdown{}, "m7", std::nan("")), Error);
}

}  // namespace
}  // namespace tinyscale::costmodel
