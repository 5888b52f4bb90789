// The engine against TensorFlow Lite Micro on MLPerf Tiny's int8 models: every tensor of
// every run (../shared/interop/tflite/<model>/tensors_<case>/t<i>.bin, TFLM's reference
// kernels) must come out byte-identical, layer by layer. And on tinyscale's own int8 files
// (the micromind fixtures quantized as `tinyscale quantize` does), run by the prebuilt
// TFLite Micro itself (../shared/tools/tflm/host/tflm_dump).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/ops.h"
#include "costmodel/costmodel.h"
#include "engine/engine.h"
#include "export/onnx_reader.h"
#include "export/quantizer.h"
#include "export/tflite_reader.h"
#include "export/tflite_writer.h"

namespace tinyscale::engine {
namespace {

const std::string kRoot = TINYSCALE_SHARED_DIR "/interop/tflite/";

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Snapshots {
  const CompiledModel* model;
  std::vector<std::vector<std::uint8_t>> bytes;
};

void keep_outputs(void* user, int node) {
  auto* s = static_cast<Snapshots*>(user);
  const core::Graph& g = s->model->graph();
  for (int id : g.nodes[static_cast<std::size_t>(node)].outputs) {
    const TensorRef& t = s->model->tensor(id);
    const auto n =
        static_cast<std::size_t>(core::num_elements(t.shape()) * core::dtype_size(t.tensor->dtype));
    const auto* p = static_cast<const std::uint8_t*>(t.data);
    s->bytes[static_cast<std::size_t>(id)].assign(p, p + n);
  }
}

class InteropModel : public ::testing::TestWithParam<const char*> {};

TEST_P(InteropModel, EveryTensorMatchesTfliteMicro) {
  const std::string dir = kRoot + GetParam() + "/";
  std::ifstream meta_file(dir + "meta.json");
  if (!meta_file)
    GTEST_SKIP() << "../shared/interop is absent; skipping the TFLite Micro comparison";
  const nlohmann::json meta = nlohmann::json::parse(meta_file);
  const core::Graph graph = exporter::read_tflite(dir + "model.tflite");
  CompiledModel model;
  char error[512] = "";
  ASSERT_EQ(model.compile(graph, {}, error, sizeof error), Status::ok) << error;
  const std::int64_t tflm_arena = meta["tflm_cortex_m7_arena_used_bytes"];
  std::printf(
      "  %s: arena %lld B (activations %lld, kernel state %lld, runtime %lld); TFLM Cortex-M7 %lld "
      "B\n",
      GetParam(), static_cast<long long>(model.arena_bytes()),
      static_cast<long long>(model.ram().activation_arena),
      static_cast<long long>(model.ram().kernel_state),
      static_cast<long long>(model.ram().runtime_structures), static_cast<long long>(tflm_arena));

  // The engine's whole run-time RAM (activations, kernel state, runtime structures on a
  // 32-bit target) must not exceed TFLite Micro's arena for the same model on a Cortex-M7.
  EXPECT_LE(model.arena_bytes(), tflm_arena);
  // One code path: the cost model (and so `solve`) reports exactly the engine's RAM, and
  // the planner sits on the live-tensor lower bound (the target allows 5% above it).
  const costmodel::CostReport cost = costmodel::analyze(graph);
  EXPECT_EQ(cost.ram_bytes, model.arena_bytes());
  EXPECT_EQ(cost.ram_activation_bytes, model.ram().activation_arena);
  EXPECT_LE(model.arena_plan().plan.peak_bytes * 100,
            model.arena_plan().plan.lower_bound_bytes * 105);

  for (const auto& c : meta["cases"]) {
    const std::string input_file = c["input"];
    const std::string name = input_file.substr(6, input_file.size() - 10);  // input_<name>.bin
    const std::vector<std::uint8_t> input = read_bytes(dir + input_file);
    const TensorRef& in = model.input(0);
    ASSERT_EQ(static_cast<std::int64_t>(input.size()), core::num_elements(in.shape()))
        << input_file;
    std::memcpy(in.data, input.data(), input.size());
    Snapshots snapshots{&model, std::vector<std::vector<std::uint8_t>>(graph.tensors.size())};
    ASSERT_EQ(model.run(keep_outputs, &snapshots), Status::ok);

    // Layer by layer, in execution order: report the first tensor that differs.
    for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
      const int id = graph.nodes[n].outputs[0];
      const std::vector<std::uint8_t> expected =
          read_bytes(dir + "tensors_" + name + "/t" + std::to_string(id) + ".bin");
      const std::vector<std::uint8_t>& got = snapshots.bytes[static_cast<std::size_t>(id)];
      ASSERT_EQ(got.size(), expected.size()) << name << " tensor " << id;
      std::size_t mismatches = 0, first = 0;
      for (std::size_t k = 0; k < got.size(); ++k) {
        if (got[k] != expected[k] && mismatches++ == 0) first = k;
      }
      ASSERT_EQ(mismatches, 0u) << name << ": node " << n << " '" << graph.nodes[n].name << "' ("
                                << core::op_name(graph.nodes[n].op) << ") tensor t" << id << ": "
                                << mismatches << " of " << got.size() << " bytes differ, first at "
                                << first << " (got " << int(static_cast<std::int8_t>(got[first]))
                                << ", TFLM " << int(static_cast<std::int8_t>(expected[first]))
                                << ")";
    }
    const std::vector<std::uint8_t> expected_output = read_bytes(dir + std::string(c["output"]));
    const TensorRef& out = model.output(0);
    ASSERT_EQ(std::memcmp(out.data, expected_output.data(), expected_output.size()), 0) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(MlperfTiny, InteropModel, ::testing::Values("kws_ref_model", "ad01_int8"));

// tinyscale's own exports under TFLite Micro: a micromind fixture (float ONNX from PyTorch)
// quantized as `tinyscale quantize` does (4 synthetic calibration samples), written as
// .tflite, run on two seeded random int8 inputs by TFLite Micro 90b983c2 (host build,
// reference kernels) and by the engine. Every tensor must be byte-identical; the
// squeeze-excite MEANs, whose input and output scales differ, are where the engine's older
// integer Mean was up to 4 steps off at the logits. About a second per model.
class TfliteMicroOnOwnExports : public ::testing::TestWithParam<const char*> {};

TEST_P(TfliteMicroOnOwnExports, EveryTensorMatchesTfliteMicro) {
  namespace fs = std::filesystem;
  const std::string onnx =
      TINYSCALE_SHARED_DIR "/interop/onnx/" + std::string(GetParam()) + "/model_op13.onnx";
  const std::string tflm_dump = TINYSCALE_SHARED_DIR "/tools/tflm/host/tflm_dump";
  if (!fs::exists(onnx) || !fs::exists(tflm_dump))
    GTEST_SKIP() << "../shared/interop or ../shared/tools/tflm is absent; skipping the run "
                    "under TFLite Micro";
  const fs::path dir = fs::temp_directory_path() / ("tinyscale_tflm_" + std::string(GetParam()) +
                                                    "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const core::Graph float_graph = exporter::read_onnx(onnx);
  exporter::write_tflite(
      exporter::quantize(float_graph, exporter::synthetic_calibration(float_graph, 4, 1), {}),
      (dir / "model.tflite").string());
  const core::Graph graph = exporter::read_tflite((dir / "model.tflite").string());
  // Every tensor exists only without activation fusion (a fused convolution's output holds
  // the activated values); the fused model's outputs are checked at the end of each run.
  CompiledModel model, fused;
  char error[512] = "";
  ASSERT_EQ(model.compile(graph, {.fuse_activations = false}, error, sizeof error), Status::ok)
      << error;
  ASSERT_EQ(fused.compile(graph, {}, error, sizeof error), Status::ok) << error;
  EXPECT_GT(fused.activation_fusion().count, 0);
  const TensorRef& in = model.input(0);
  const auto input_bytes = static_cast<std::size_t>(core::num_elements(in.shape()));

  int means = 0;
  for (const core::Node& n : graph.nodes) means += n.op == core::OpType::global_avg_pool;
  for (std::uint32_t seed : {1u, 2u}) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> input(input_bytes);
    for (std::uint8_t& b : input) b = static_cast<std::uint8_t>(rng() >> 24);
    std::ofstream((dir / "input.bin").string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()),
               static_cast<std::streamsize>(input.size()));
    const fs::path out = dir / ("tensors_" + std::to_string(seed));
    fs::create_directories(out);
    const std::string command = tflm_dump + " " + (dir / "model.tflite").string() + " " +
                                (dir / "input.bin").string() + " " + out.string() +
                                " > /dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;

    std::memcpy(in.data, input.data(), input.size());
    Snapshots snapshots{&model, std::vector<std::vector<std::uint8_t>>(graph.tensors.size())};
    ASSERT_EQ(model.run(keep_outputs, &snapshots), Status::ok);
    int compared_means = 0;
    for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
      const int id = graph.nodes[n].outputs[0];
      const std::vector<std::uint8_t> expected =
          read_bytes((out / ("t" + std::to_string(id) + ".bin")).string());
      const std::vector<std::uint8_t>& got = snapshots.bytes[static_cast<std::size_t>(id)];
      ASSERT_EQ(got.size(), expected.size()) << GetParam() << " tensor t" << id;
      std::size_t mismatches = 0, first = 0;
      for (std::size_t k = 0; k < got.size(); ++k) {
        if (got[k] != expected[k] && mismatches++ == 0) first = k;
      }
      ASSERT_EQ(mismatches, 0u) << GetParam() << " seed " << seed << ": node " << n << " '"
                                << graph.nodes[n].name << "' (" << core::op_name(graph.nodes[n].op)
                                << ") tensor t" << id << ": " << mismatches << " of " << got.size()
                                << " bytes differ, first at " << first << " (got "
                                << int(static_cast<std::int8_t>(got[first])) << ", TFLM "
                                << int(static_cast<std::int8_t>(expected[first])) << ")";
      compared_means += graph.nodes[n].op == core::OpType::global_avg_pool;
    }
    EXPECT_EQ(compared_means, means);
    std::memcpy(fused.input(0).data, input.data(), input.size());
    ASSERT_EQ(fused.run(), Status::ok);
    for (int k = 0; k < fused.num_outputs(); ++k) {
      const int id = graph.outputs[static_cast<std::size_t>(k)];
      const std::vector<std::uint8_t> expected =
          read_bytes((out / ("t" + std::to_string(id) + ".bin")).string());
      ASSERT_EQ(expected.size(), snapshots.bytes[static_cast<std::size_t>(id)].size());
      EXPECT_EQ(0, std::memcmp(fused.output(k).data, expected.data(), expected.size()))
          << GetParam() << " seed " << seed << ": the fused model's output " << k;
    }
  }
  std::printf("  %s: %zu layers (%d MEAN) byte-identical with TFLite Micro on 2 inputs\n",
              GetParam(), graph.nodes.size(), means);
  EXPECT_GT(means, 0);  // the op this test is about is in the file
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Micromind, TfliteMicroOnOwnExports,
                         ::testing::Values("phinet_a", "xinet", "phinet_kws"));

// The ops tinyscale's lowering adds, under TFLite Micro: a BatchNorm after an activation as
// MUL + ADD by per-channel int8 constants, and adaptive average pooling with uneven bins as
// SLICE + AVERAGE_POOL_2D + CONCATENATION (56 -> 3: rows then columns; 13x10 -> 2x4: one
// pool per block). Quantized, written, and run by TFLite Micro and by the engine on two
// random inputs: TFLite Micro must accept the file and every tensor must be byte-identical.
core::Graph lowered_ops_graph(std::int64_t h, std::int64_t w, int out_h, int out_w) {
  constexpr int kChannels = 8;
  core::Graph g;
  const int x = g.add_input("x", {1, h, w, 4});
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> weight(kChannels * 4), gamma, beta, mean, var;
  for (float& v : weight) v = u(rng);
  for (int c = 0; c < kChannels; ++c) {
    gamma.push_back(0.3f + 0.4f * static_cast<float>(c));
    beta.push_back(u(rng));
    mean.push_back(0.5f * u(rng));
    var.push_back(1.0f + 0.5f * u(rng));
  }
  core::Attributes conv;
  const int y = g.add_node(core::OpType::conv2d, "conv",
                           {x, g.add_constant("conv.weight", {kChannels, 1, 1, 4}, weight)}, conv);
  const int r = g.add_node(core::OpType::relu, "act", {y});
  core::Attributes bn;
  bn.epsilon = 1e-3f;
  const int n = g.add_node(core::OpType::batch_norm, "bn",
                           {r, g.add_constant("bn.weight", {kChannels}, gamma),
                            g.add_constant("bn.bias", {kChannels}, beta),
                            g.add_constant("bn.running_mean", {kChannels}, mean),
                            g.add_constant("bn.running_var", {kChannels}, var)},
                           bn);
  core::Attributes pool;
  pool.out_h = out_h;
  pool.out_w = out_w;
  g.mark_output(g.add_node(core::OpType::adaptive_avg_pool, "pool", {n}, pool));
  return g;
}

TEST(TfliteMicroOnLoweredOps, SliceAndBatchNormAsMulAddMatchTfliteMicro) {
  namespace fs = std::filesystem;
  const std::string tflm_dump = TINYSCALE_SHARED_DIR "/tools/tflm/host/tflm_dump";
  if (!fs::exists(tflm_dump))
    GTEST_SKIP() << "../shared/tools/tflm is absent; skipping the run under TFLite Micro";
  const fs::path dir =
      fs::temp_directory_path() / ("tinyscale_tflm_lowered_" + std::to_string(::getpid()));
  struct Case {
    std::int64_t h, w;
    int out_h, out_w;
  };
  for (const Case t : {Case{56, 56, 3, 3}, Case{13, 10, 2, 4}}) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const core::Graph f = lowered_ops_graph(t.h, t.w, t.out_h, t.out_w);
    exporter::write_tflite(exporter::quantize(f, exporter::synthetic_calibration(f, 4, 1), {}),
                           (dir / "model.tflite").string());
    const core::Graph graph = exporter::read_tflite((dir / "model.tflite").string());
    int slices = 0, muls = 0;
    for (const core::Node& node : graph.nodes) {
      slices += node.op == core::OpType::slice;
      muls += node.op == core::OpType::mul;
    }
    EXPECT_GT(slices, 0);
    EXPECT_EQ(muls, 1);
    CompiledModel model;
    char error[512] = "";
    ASSERT_EQ(model.compile(graph, {}, error, sizeof error), Status::ok) << error;
    const TensorRef& in = model.input(0);
    std::mt19937 rng(static_cast<std::uint32_t>(t.h));
    std::vector<std::uint8_t> input(static_cast<std::size_t>(core::num_elements(in.shape())));
    for (std::uint8_t& b : input) b = static_cast<std::uint8_t>(rng() >> 24);
    std::ofstream((dir / "input.bin").string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()),
               static_cast<std::streamsize>(input.size()));
    const fs::path out = dir / "tensors";
    fs::create_directories(out);
    const std::string command = tflm_dump + " " + (dir / "model.tflite").string() + " " +
                                (dir / "input.bin").string() + " " + out.string() +
                                " > /dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::memcpy(in.data, input.data(), input.size());
    Snapshots snapshots{&model, std::vector<std::vector<std::uint8_t>>(graph.tensors.size())};
    ASSERT_EQ(model.run(keep_outputs, &snapshots), Status::ok);
    for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
      const int id = graph.nodes[n].outputs[0];
      const std::vector<std::uint8_t> expected =
          read_bytes((out / ("t" + std::to_string(id) + ".bin")).string());
      EXPECT_EQ(snapshots.bytes[static_cast<std::size_t>(id)], expected)
          << t.h << "x" << t.w << " -> " << t.out_h << "x" << t.out_w << ": node " << n << " '"
          << graph.nodes[n].name << "' (" << core::op_name(graph.nodes[n].op) << ")";
    }
    std::printf(
        "  %lldx%lld -> %dx%d: %zu layers (%d SLICE, MUL + ADD) byte-identical with "
        "TFLite Micro\n",
        static_cast<long long>(t.h), static_cast<long long>(t.w), t.out_h, t.out_w,
        graph.nodes.size(), slices);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tinyscale::engine
