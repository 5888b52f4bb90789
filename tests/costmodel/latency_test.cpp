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

TEST(Latency, HandBuiltGraphIsMacsTimesCyclesOverClockWithoutAnInstructionModel) {
  const core::Graph g = conv_and_depthwise();
  ASSERT_EQ(core::op_info(core::OpType::conv2d).macs(g, g.nodes[0]), 12800);
  ASSERT_EQ(core::op_info(core::OpType::conv2d).macs(g, g.nodes[1]), 14400);
  // cortex-m0plus at 133 MHz: (12800·8 + 14400·10) / 133000.
  EXPECT_DOUBLE_EQ(estimate_latency_ms(g, "m0+", 133.0), (102400.0 + 144000.0) / 133000.0);
  EXPECT_EQ(instruction_model("m0+"), nullptr);
  EXPECT_EQ(instruction_model("cortex-m55"), nullptr);
}

// Cortex-M7 and M4: the estimate is the instruction model's sum at one instruction per cycle.
TEST(Latency, CortexMEstimateIsTheInstructionModelsSum) {
  const core::Graph g = conv_and_depthwise();
  for (const char* core : {"cortex-m7", "cortex-m4", "m33"}) {
    SCOPED_TRACE(core);
    const InstructionModel* model = instruction_model(core);
    ASSERT_NE(model, nullptr);
    double sum = 0;
    for (const OpWork& w : op_work(g)) sum += predicted_instructions(w, *model);
    EXPECT_GT(sum, 0.0);
    EXPECT_NEAR(estimate_latency_ms(g, core, 480.0), sum / 480000.0, 1e-12);
    EXPECT_NEAR(predicted_instructions(compute_breakdown(g), core), sum, 1e-6 * sum);
  }
  // The M33 runs the M4's DSP kernels: it takes the M4's coefficients.
  EXPECT_EQ(instruction_model("cortex-m33"), instruction_model("cortex-m4"));
  EXPECT_STREQ(instruction_model("Cortex-M7")->core, "cortex-m7");
  EXPECT_THROW(predicted_instructions(ComputeBreakdown{}, "m0+"), Error);
}

TEST(Latency, OpWorkClassesNodesByTheKernelTheyRun) {
  core::Graph g = conv_and_depthwise();  // pw (1x1) then a 3x3 depthwise
  const int dw = g.outputs[0];
  const int hs = g.add_node(core::OpType::hard_swish, "hs", {dw});  // fuses into the depthwise
  core::Attributes full;
  full.kernel_h = full.kernel_w = 3;
  full.pad_top = full.pad_bottom = full.pad_left = full.pad_right = 1;
  const int w3 = g.add_constant("c3.weight", {8, 3, 3, 16});
  const int c3 = g.add_node(core::OpType::conv2d, "c3", {hs, w3}, full);
  const int sum = g.add_node(core::OpType::add, "add", {c3, c3});
  const int pool = g.add_node(core::OpType::global_avg_pool, "pool", {sum});
  const int flat = g.add_node(core::OpType::reshape, "flat", {pool}, [] {
    core::Attributes a;
    a.new_shape = {1, 8};
    return a;
  }());
  const int wf = g.add_constant("fc.weight", {4, 8});
  g.outputs = {g.add_node(core::OpType::fully_connected, "fc", {flat, wf})};
  const std::vector<OpWork> w = op_work(g);
  ASSERT_EQ(w.size(), g.nodes.size());
  EXPECT_EQ(w[0].op_class, OpClass::conv_pointwise);
  EXPECT_EQ(w[1].op_class, OpClass::conv_depthwise);
  EXPECT_DOUBLE_EQ(w[1].macs, 14400);
  EXPECT_DOUBLE_EQ(w[1].fused_outputs, 1600);  // its outputs go through hard-swish's table
  EXPECT_EQ(w[2].op_class, OpClass::fused);
  EXPECT_EQ(w[3].op_class, OpClass::conv_general);
  EXPECT_DOUBLE_EQ(w[3].macs, 10 * 10 * 8 * 9 * 16);
  EXPECT_EQ(w[4].op_class, OpClass::add);
  EXPECT_EQ(w[5].op_class, OpClass::global_pool);
  EXPECT_DOUBLE_EQ(w[5].macs, 800);
  EXPECT_EQ(w[6].op_class, OpClass::copy);
  EXPECT_EQ(w[7].op_class, OpClass::fully_connected);
  EXPECT_DOUBLE_EQ(w[7].macs, 32);
  EXPECT_EQ(predicted_instructions(w[2], *instruction_model("cortex-m7")), 0.0);
  const ComputeBreakdown b = compute_breakdown(g);
  EXPECT_EQ(b.calls[static_cast<int>(OpClass::fused)], 0);
  EXPECT_EQ(b.calls[static_cast<int>(OpClass::conv_pointwise)], 1);
  EXPECT_STREQ(op_class_name(OpClass::conv_depthwise), "conv_depthwise");
}

TEST(Latency, ElementwiseOpsCostPerOutputElementAndFusedActivationsAreFree) {
  core::Graph g = conv_and_depthwise();
  const int relu = g.add_node(core::OpType::relu, "relu", {g.outputs[0]});
  g.outputs = {relu};
  const int pool = g.add_node(core::OpType::global_avg_pool, "pool", {relu});
  g.outputs = {pool};
  // The relu fuses into the depthwise conv; the pool's 16 outputs cost 16·12 cycles on M0+.
  EXPECT_DOUBLE_EQ(estimate_latency_ms(g, "cortex-m0plus", 100.0),
                   (12800.0 * 8 + 14400.0 * 10 + 16 * 12.0) / 100000.0);
}

TEST(Latency, FloatPhiNetIsLoweredFirst) {
  const core::Graph g = nets::build_phinet(nets::PhiNetConfig{});
  const double ms = estimate_latency_ms(g, "cortex-m7", 480.0);
  // 9.8M MACs at 0.5 (two per SMLAD) to 20 instructions each (a network this thin is mostly
  // depthwise and element-wise work), at 480 MHz. Measured under QEMU: 99.3 M instructions.
  EXPECT_GT(ms, 9815790 * 0.5 / 480000.0);
  EXPECT_LT(ms, 9815790 * 20.0 / 480000.0);
  // Slower clock: about 4x the time (the M4's instructions are within a few % of the M7's).
  EXPECT_GT(estimate_latency_ms(g, "cortex-m4", 120.0), ms * 3.5);
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
  EXPECT_DOUBLE_EQ(estimate_latency_ms(work, "cortex-m0plus", 100.0),
                   (12800.0 * 8 + 14400.0 * 10 + 16 * 12.0) / 100000.0);
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
