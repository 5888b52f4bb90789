#include "costmodel/costmodel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "engine/engine.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace tinyscale::costmodel {
namespace {

TEST(CostModel, MicromindDefaultPhiNet) {
  const core::Graph g = nets::build_phinet(nets::PhiNetConfig{});
  const CostReport r = analyze(g);
  EXPECT_EQ(r.params, 30917);
  EXPECT_EQ(r.macs_torchinfo, 9817670);
  EXPECT_EQ(r.macs, 9815790);
  // Folding drops gamma and beta (2 per BatchNorm channel) and adds one bias per channel;
  // a convolution without BatchNorm or bias (squeeze-excite) gets a zero bias, as TFLite's
  // quantized CONV_2D requires one.
  std::int64_t bn_channels = 0, unbiased_channels = 0;
  for (const core::Node& n : g.nodes) {
    if (n.op == core::OpType::batch_norm) bn_channels += g.tensor(n.outputs[0]).shape.back();
  }
  for (const core::Node& n : g.nodes) {
    if (n.op != core::OpType::conv2d || n.inputs.size() == 3) continue;
    const bool feeds_batch_norm = std::any_of(g.nodes.begin(), g.nodes.end(), [&](const auto& m) {
      return m.op == core::OpType::batch_norm && m.inputs[0] == n.outputs[0];
    });
    if (!feeds_batch_norm) unbiased_channels += g.tensor(n.outputs[0]).shape.back();
  }
  EXPECT_GT(bn_channels, 0);
  EXPECT_GT(unbiased_channels, 0);
  EXPECT_EQ(r.params_deployed, r.params - bn_channels + unbiased_channels);
  EXPECT_GE(r.ram_bytes, r.ram_lower_bound_bytes);
  EXPECT_LE(r.ram_bytes, r.ram_greedy_bytes);
  // Peak at the stem: 224x224x3 input + 112x112x9 output of the first depthwise... at least
  // the first block's input and output must be live together.
  EXPECT_GE(r.ram_lower_bound_bytes, 224 * 224 * 3 + 112 * 112 * 3);
}

// One 1×1 conv (8 -> 16) + BatchNorm + relu on a 4×4 map, computed by hand.
TEST(CostModel, FlashAndRamByHand) {
  core::Graph g;
  blocks::Builder b(g, {});
  int x = b.input("input", 8, 4, 4);
  x = b.conv2d("conv", x, {.out_channels = 16});
  x = b.batch_norm("bn", x, 1e-3f);
  x = b.activation("act", x, blocks::Activation::relu);
  g.mark_output(x);
  const CostReport r = analyze(g);
  EXPECT_EQ(r.params, 16 * 8 + 32);
  EXPECT_EQ(r.params_deployed, 16 * 8 + 16);
  EXPECT_EQ(r.flash.weight_bytes, 128);
  EXPECT_EQ(r.flash.bias_bytes, 64);
  // weight 16 channels + bias 16 channels + input + output, 12 B each.
  EXPECT_EQ(r.flash.quantization_bytes, 12 * (16 + 16 + 2));
  // 4 tensors (input, weight, bias, output) and 1 operator after folding and fusing.
  EXPECT_EQ(r.flash.overhead_bytes,
            kFlashBytesPerModel + 4 * kFlashBytesPerTensor + kFlashBytesPerOperator);
  EXPECT_EQ(r.flash_bytes, 128 + 64 + 12 * 34 + kFlashBytesPerModel + 4 * kFlashBytesPerTensor +
                               kFlashBytesPerOperator);
  EXPECT_EQ(r.deployed_nodes, 1);
  EXPECT_EQ(r.ram_activation_bytes, 128 + 256);  // input and output live together, int8
  // The engine's formula: + the int8 conv kernel's state (16 per-channel multipliers and
  // shifts after its fixed struct) + runtime structures of 4 tensors and 1 node.
  EXPECT_EQ(r.ram_runtime_bytes, engine::kRuntimeBytesPerModel +
                                     4 * engine::kRuntimeBytesPerTensor +
                                     engine::kRuntimeBytesPerNode);
  EXPECT_GE(r.ram_kernel_state_bytes, 16 * 5);
  EXPECT_EQ(r.ram_bytes, 384 + r.ram_kernel_state_bytes + r.ram_runtime_bytes);
  EXPECT_EQ(r.ram_lower_bound_bytes, r.ram_bytes);
  ASSERT_EQ(r.layers.size(), 3u);
  for (const LayerCost& l : r.layers) EXPECT_EQ(l.live_bytes, 384) << l.name;
}

TEST(CostModel, LayerTableSumsToTotals) {
  nets::XiNetConfig c;
  c.input = {3, 96, 96};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 10;
  const CostReport r = analyze(nets::build_xinet(c));
  std::int64_t params = 0, macs = 0, torchinfo = 0, peak_live = 0;
  for (const LayerCost& l : r.layers) {
    params += l.params;
    macs += l.macs;
    torchinfo += l.macs_torchinfo;
    peak_live = std::max(peak_live, l.live_bytes);
    EXPECT_GT(l.live_bytes, 0) << l.name;
  }
  EXPECT_EQ(params, r.params);
  EXPECT_EQ(macs, r.macs);
  EXPECT_EQ(torchinfo, r.macs_torchinfo);
  EXPECT_EQ(peak_live, r.ram_lower_bound_bytes - r.ram_kernel_state_bytes - r.ram_runtime_bytes);
}

TEST(CostModel, WiderNetworksCostMoreOfEverything) {
  nets::PhiNetConfig narrow, wide;
  wide.alpha = 0.5;
  const CostReport a = analyze(nets::build_phinet(narrow), {.per_layer = false});
  const CostReport b = analyze(nets::build_phinet(wide), {.per_layer = false});
  EXPECT_GT(b.params, a.params);
  EXPECT_GT(b.macs, a.macs);
  EXPECT_GT(b.flash_bytes, a.flash_bytes);
  EXPECT_GT(b.ram_bytes, a.ram_bytes);
  EXPECT_TRUE(a.layers.empty());
}

// A stand-in for deploy::generated_code_size (costmodel does not link deploy): fixed figures,
// so the test sees how the cost model combines them with the measured tables.
engine::GeneratedCodeSize fake_generated_code(const core::Graph& graph) {
  engine::GeneratedCodeSize g;
  g.model_data_bytes = 12345;
  g.arena_bytes = 999;  // the cost model's own arena plan is what RAM uses
  g.nodes = static_cast<int>(graph.nodes.size());
  g.kernels = {"conv2d", "global_avg_pool"};
  return g;
}

TEST(CostModel, TinyscaleRuntimeIsDataPlusCodeAndArenaPlusStack) {
  nets::PhiNetConfig c;
  c.input = {3, 32, 32};
  c.alpha = 0.25;
  const core::Graph graph = nets::build_phinet(c);
  const CostReport tflm = analyze(graph);
  EXPECT_EQ(tflm.runtime, Runtime::engine);  // the default
  EXPECT_THROW(analyze(graph, {.runtime = Runtime::tflite_micro}), Error);  // needs the layout
  for (const engine::DeviceCore core :
       {engine::DeviceCore::cortex_m7, engine::DeviceCore::cortex_m4}) {
    const CostReport r = analyze(graph, {.runtime = Runtime::tinyscale,
                                         .generated_code_size = fake_generated_code,
                                         .tinyscale_core = core});
    EXPECT_EQ(r.runtime, Runtime::tinyscale);
    EXPECT_EQ(r.tinyscale_core, core);
    engine::DeviceKernelSize conv, pool;
    ASSERT_TRUE(engine::device_kernel_size("conv2d", core, &conv));
    ASSERT_TRUE(engine::device_kernel_size("global_avg_pool", core, &pool));
    EXPECT_EQ(r.tinyscale.model_data_bytes, 12345);
    EXPECT_EQ(r.tinyscale.kernel_code_bytes, conv.code_bytes + pool.code_bytes);
    EXPECT_EQ(r.tinyscale.invoke_code_bytes,
              engine::kGeneratedFixedCodeBytes +
                  engine::kInvokeCodeBytesPerNode * static_cast<std::int64_t>(r.deployed_nodes));
    EXPECT_EQ(r.flash_bytes, 12345 + r.tinyscale.kernel_code_bytes + r.tinyscale.invoke_code_bytes);
    EXPECT_EQ(r.tinyscale.stack_bytes,
              engine::kInvokeFrameStackBytes + std::max(conv.stack_bytes, pool.stack_bytes));
    // The same arena plan as the tflite-micro figure; no kernel state or runtime structures.
    EXPECT_EQ(r.tinyscale.arena_bytes, tflm.ram_activation_bytes);
    EXPECT_EQ(r.ram_bytes, tflm.ram_activation_bytes + r.tinyscale.stack_bytes);
    EXPECT_LT(r.ram_bytes, tflm.ram_bytes);
    // The tflite-micro items stay in the report.
    EXPECT_EQ(r.ram_kernel_state_bytes, tflm.ram_kernel_state_bytes);
    EXPECT_EQ(r.flash.weight_bytes, tflm.flash.weight_bytes);
  }
  // With one region, its use is the arena plus the stack.
  const std::vector<std::int64_t> capacity = {1 << 20};
  const CostReport one = analyze(graph, {.ram_region_capacities = capacity,
                                         .runtime = Runtime::tinyscale,
                                         .generated_code_size = fake_generated_code});
  ASSERT_EQ(one.ram_region_bytes.size(), 1u);
  EXPECT_EQ(one.ram_region_bytes[0], one.ram_bytes);
  EXPECT_TRUE(one.ram_fits);
  // The generated code has one arena: no split over regions.
  const std::vector<std::int64_t> two = {1 << 20, 1 << 20};
  EXPECT_THROW(analyze(graph, {.ram_region_capacities = two,
                               .runtime = Runtime::tinyscale,
                               .generated_code_size = fake_generated_code}),
               Error);
}

}  // namespace
}  // namespace tinyscale::costmodel
