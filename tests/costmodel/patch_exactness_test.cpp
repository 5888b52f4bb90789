// Patch-based execution gives the outputs of whole-layer execution byte for byte: random
// PhiNets and XiNets (residuals, squeeze-excite, pooling, 3x3 and 5x5, strides 1 and 2), a
// hand-made graph with explicit padding, average pooling and a channel concatenation, the
// benchmark networks and the interop models, every stage and several grids, int8 and float,
// on tinyscale's engine. (The generated code under QEMU: tests/deploy/codegen_qemu_test.cpp.)
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"
#include "core/patch.h"
#include "costmodel/costmodel.h"
#include "costmodel/patches.h"
#include "engine/engine.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "nets/yolo.h"

namespace tinyscale {
namespace {

// The outputs' bytes after one run on a seeded random input, or a failure message.
std::vector<std::uint8_t> run(const core::Graph& g, std::uint32_t seed, std::string* error) {
  engine::CompiledModel model;
  char message[512] = "";
  if (model.compile(g, {}, message, sizeof message) != engine::Status::ok) {
    *error = message;
    return {};
  }
  std::mt19937 rng(seed);
  for (int i = 0; i < model.num_inputs(); ++i) {
    const engine::TensorRef& in = model.input(i);
    const auto n = static_cast<std::size_t>(core::num_elements(in.shape()));
    if (in.tensor->dtype == core::DType::float32) {
      std::uniform_real_distribution<float> d(-1.0f, 1.0f);
      for (std::size_t k = 0; k < n; ++k) in.as<float>()[k] = d(rng);
    } else {
      std::uniform_int_distribution<int> d(-128, 127);
      for (std::size_t k = 0; k < n; ++k)
        in.as<std::int8_t>()[k] = static_cast<std::int8_t>(d(rng));
    }
  }
  if (model.run() != engine::Status::ok) {
    *error = "run failed";
    return {};
  }
  std::vector<std::uint8_t> out;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const engine::TensorRef& t = model.output(i);
    const auto* p = static_cast<const std::uint8_t*>(t.data);
    out.insert(out.end(), p, p + core::num_elements(t.shape()) * core::dtype_size(t.tensor->dtype));
  }
  return out;
}

// Every stage with each grid in `grids` (where it fits): outputs equal to the whole graph's.
// Returns the number of patched graphs compared.
int expect_every_patching_exact(const core::Graph& g, const std::string& what,
                                std::vector<int> grids = {2, 3, 4, 7}) {
  std::string error;
  const std::vector<std::uint8_t> whole = run(g, 7, &error);
  EXPECT_TRUE(error.empty()) << what << ": " << error;
  int compared = 0;
  for (const core::PatchStage& stage : core::patch_stages(g)) {
    for (const int n : grids) {
      if (n > stage.height || n > stage.width) continue;
      core::PatchedGraph p;
      try {
        p = core::apply_patches(g, {stage.layers, n});
      } catch (const Error& e) {
        // Only a patch wholly in the padding is refused.
        EXPECT_NE(std::string(e.what()).find("padding"), std::string::npos)
            << what << ": " << e.what();
        continue;
      }
      EXPECT_NO_THROW(p.graph.validate()) << what;
      EXPECT_GE(p.macs, p.plain_macs);
      const std::vector<std::uint8_t> patched = run(p.graph, 7, &error);
      EXPECT_TRUE(error.empty()) << what << " k=" << stage.layers << " n=" << n << ": " << error;
      EXPECT_EQ(patched, whole) << what << ": patches k=" << stage.layers << " n=" << n
                                << " change the outputs";
      ++compared;
    }
  }
  return compared;
}

core::Graph quantized(const core::Graph& f, std::uint32_t seed) {
  return exporter::quantize(f, exporter::synthetic_calibration(f, 2, seed), {});
}

TEST(PatchExactness, RandomPhiNetsAndXiNetsInt8) {
  std::mt19937 rng(2026);
  int compared = 0, graphs = 0;
  for (int i = 0; i < 24; ++i) {
    core::Graph f;
    std::string what;
    try {
      if (i % 3 == 2) {
        nets::XiNetConfig c;
        const std::int64_t r = 32 + 16 * static_cast<std::int64_t>(rng() % 3);
        c.input = {static_cast<std::int64_t>(1 + rng() % 3), r, r};
        c.alpha = 0.25 + 0.25 * static_cast<double>(rng() % 2);
        c.num_layers = 3 + static_cast<int>(rng() % 2);
        c.base_filters = 8;
        what = "xinet " + std::to_string(i);
        f = nets::build_xinet(c, {.materialize_weights = true, .seed = rng()});
      } else {
        nets::PhiNetConfig c;
        const std::int64_t r = 24 + 8 * static_cast<std::int64_t>(rng() % 4);
        c.input = {3, r, r};
        c.alpha = 0.25;
        c.num_layers = 4 + static_cast<int>(rng() % 3);
        c.downsampling_layers = {2 + static_cast<int>(rng() % 2)};
        c.first_conv_stride = 1 + static_cast<int>(rng() % 2);
        c.squeeze_excite = rng() % 2 == 0;
        c.h_swish = rng() % 3 != 0;
        c.residuals = rng() % 4 != 0;
        c.conv5_percent = rng() % 2 == 0 ? 0.0 : 0.5;
        c.pool = rng() % 4 == 0;
        c.conv2d_input = rng() % 3 == 0;
        c.include_top = rng() % 2 == 0;
        what = "phinet " + std::to_string(i);
        f = nets::build_phinet(c, {.materialize_weights = true, .seed = rng()});
      }
    } catch (const Error&) {
      continue;  // a configuration the resolution does not fit
    }
    ++graphs;
    compared += expect_every_patching_exact(quantized(f, static_cast<std::uint32_t>(i)), what);
  }
  EXPECT_GE(graphs, 14);
  EXPECT_GE(compared, 150) << "too few patched graphs compared";
  std::printf("%d random graphs, %d patched graphs compared\n", graphs, compared);
}

TEST(PatchExactness, FloatGraphsAlike) {
  nets::PhiNetConfig c;
  c.input = {3, 40, 40};
  c.alpha = 0.25;
  c.num_layers = 5;
  c.downsampling_layers = {3};
  c.squeeze_excite = false;
  const core::Graph f =
      core::lower_for_deployment(nets::build_phinet(c, {.materialize_weights = true, .seed = 3}));
  EXPECT_GE(expect_every_patching_exact(f, "float phinet"), 10);
}

// A model with float I/O quantizes its input first: that node runs whole and the patches
// slice its int8 output (no float tile, which the device kernels could not run), exactly.
TEST(PatchExactness, FloatInputIsQuantizedWholeThenPatched) {
  nets::PhiNetConfig c;
  c.input = {3, 48, 48};
  c.alpha = 0.25;
  c.num_layers = 5;
  c.downsampling_layers = {3};
  const core::Graph f = nets::build_phinet(c, {.materialize_weights = true, .seed = 4});
  exporter::QuantizeOptions o;
  o.float_io = true;
  const core::Graph g = exporter::quantize(f, exporter::synthetic_calibration(f, 2, 4), o);
  ASSERT_EQ(g.nodes.front().op, core::OpType::quantize);
  const std::vector<core::PatchStage> stages = core::patch_stages(g);
  ASSERT_FALSE(stages.empty());
  for (const core::PatchStage& s : stages) {
    EXPECT_EQ(s.first_node, 1);
    EXPECT_EQ(s.input, g.nodes.front().outputs[0]);
  }
  const core::PatchedGraph p = core::apply_patches(g, {stages.back().layers, 3});
  for (const core::Node& node : p.graph.nodes) {
    if (node.op == core::OpType::slice) {
      EXPECT_EQ(p.graph.tensor(node.inputs[0]).dtype, core::DType::int8) << node.name;
    }
  }
  EXPECT_GE(expect_every_patching_exact(g, "float-I/O phinet"), 10);
}

// Explicit asymmetric pads, an average pool with padding (its divisor counts only the pixels
// inside the image), a max pool, a channel concatenation of two branches and a dilated conv.
TEST(PatchExactness, PadsPoolsConcatAndDilation) {
  core::Graph g;
  std::mt19937 rng(5);
  auto constant = [&](const std::string& name, core::Shape shape) {
    std::vector<float> v(static_cast<std::size_t>(core::num_elements(shape)));
    std::normal_distribution<float> d(0.0f, 0.3f);
    for (float& x : v) x = d(rng);
    return g.add_constant(name, std::move(shape), v);
  };
  const int x = g.add_input("x", {1, 29, 31, 3});
  core::Attributes pad;
  pad.pad_top = 2, pad.pad_bottom = 1, pad.pad_left = 0, pad.pad_right = 3;
  const int padded = g.add_node(core::OpType::pad, "pad", {x}, pad);
  core::Attributes conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.stride_h = conv.stride_w = 2;
  conv.pad_top = 0, conv.pad_bottom = 1, conv.pad_left = 1, conv.pad_right = 1;
  const int c1 = g.add_node(core::OpType::conv2d, "conv1",
                            {padded, constant("w1", {8, 3, 3, 3}), constant("b1", {8})}, conv);
  const int r1 = g.add_node(core::OpType::relu, "relu1", {c1});
  core::Attributes avg;
  avg.kernel_h = avg.kernel_w = 3;
  avg.pad_top = avg.pad_bottom = avg.pad_left = avg.pad_right = 1;
  const int a = g.add_node(core::OpType::avg_pool, "avg", {r1}, avg);
  core::Attributes dil;
  dil.kernel_h = dil.kernel_w = 3;
  dil.dilation_h = dil.dilation_w = 2;
  dil.pad_top = dil.pad_bottom = dil.pad_left = dil.pad_right = 2;
  const int d = g.add_node(core::OpType::conv2d, "dilated",
                           {r1, constant("w2", {6, 3, 3, 8}), constant("b2", {6})}, dil);
  core::Attributes cat;
  cat.axis = 3;
  const int j = g.add_node(core::OpType::concat, "cat", {a, d}, cat);
  core::Attributes mp;
  mp.kernel_h = mp.kernel_w = 2;
  mp.stride_h = mp.stride_w = 2;
  const int m = g.add_node(core::OpType::max_pool, "max", {j}, mp);
  core::Attributes one;
  const int y = g.add_node(core::OpType::conv2d, "head",
                           {m, constant("w3", {4, 1, 1, 14}), constant("b3", {4})}, one);
  g.mark_output(y);
  g.validate();
  EXPECT_GE(expect_every_patching_exact(g, "float pads/pools/concat"), 8);
  EXPECT_GE(expect_every_patching_exact(quantized(g, 1), "int8 pads/pools/concat"), 8);
}

// The benchmark's networks at small resolutions and the interop models: auto's choice and
// a fine grid, exact.
TEST(PatchExactness, BenchmarkNetworksAndInteropModels) {
  std::vector<std::pair<std::string, core::Graph>> models;
  {
    nets::PhiNetConfig c;
    c.input = {3, 96, 96};
    c.alpha = 0.25;
    models.emplace_back(
        "phinet a0.25 96",
        quantized(nets::build_phinet(c, {.materialize_weights = true, .seed = 1}), 1));
  }
  {
    nets::XiNetConfig c;
    c.input = {3, 96, 96};
    c.alpha = 0.5;
    models.emplace_back(
        "xinet a0.5 96",
        quantized(nets::build_xinet(c, {.materialize_weights = true, .seed = 2}), 2));
  }
  {
    nets::YoloConfig c;
    c.input = {3, 64, 64};
    c.phinet.alpha = 0.25;
    c.num_classes = 3;
    c.depth_multiple = 1.0 / 3.0;
    models.emplace_back(
        "yolo-phinet 64",
        quantized(nets::build_yolo(c, {.materialize_weights = true, .seed = 3}), 3));
  }
  const std::filesystem::path shared = TINYSCALE_SHARED_DIR;
  int interop = 0;
  // The MLPerf Tiny models (DS-CNN keyword spotting, the anomaly-detection autoencoder).
  for (const char* model : {"kws_ref_model", "ad01_int8"}) {
    const std::filesystem::path file = shared / "interop/tflite" / model / "model.tflite";
    if (!std::filesystem::exists(file)) continue;
    models.emplace_back(model, exporter::read_tflite(file.string()));
    ++interop;
  }
  for (const auto& [name, g] : models) {
    for (const core::PatchStage& s : core::patch_stages(g)) {
      const int n = static_cast<int>(std::min<std::int64_t>({8, s.height, s.width}));
      if (n < 2) continue;
      std::string error;
      const core::PatchedGraph p = core::apply_patches(g, {s.layers, n});
      EXPECT_EQ(run(p.graph, 3, &error), run(g, 3, &error))
          << name << " k=" << s.layers << " n=" << n;
    }
    const core::PatchedGraph chosen =
        costmodel::patch_graph(g, costmodel::parse_patch_option("auto"));
    std::string error;
    EXPECT_EQ(run(chosen.graph, 4, &error), run(g, 4, &error)) << name << " auto";
  }
  if (interop == 0) GTEST_SKIP() << "no ../shared/interop: the interop models were not tried";
}

}  // namespace
}  // namespace tinyscale
