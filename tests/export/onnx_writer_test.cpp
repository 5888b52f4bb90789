// Tests of export/onnx_writer: PhiNet and XiNet graphs written to ONNX re-load with
// protobuf, pass onnx's checker, declare NCHW shapes and hold one ONNX node per graph op
// (BatchNorm kept or folded); builder → ONNX → read_onnx gives the same float outputs;
// int8 graphs and failed writes are rejected without leaving a file.
#include "export/onnx_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"
#include "engine/engine.h"
#include "export/onnx_proto.h"
#include "export/onnx_reader.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace tinyscale::exporter {
namespace {

using core::OpType;

core::Graph phinet() {
  nets::PhiNetConfig cfg;
  cfg.input = {3, 96, 96};
  cfg.alpha = 0.25;
  cfg.beta = 0.75;
  cfg.t_zero = 6.0;
  cfg.num_layers = 7;
  cfg.include_top = true;
  cfg.num_classes = 10;
  return nets::build_phinet(cfg, {.materialize_weights = true, .seed = 1});
}

core::Graph xinet() {
  nets::XiNetConfig cfg;
  cfg.input = {3, 96, 96};
  cfg.alpha = 0.5;
  cfg.gamma = 4.0;
  cfg.num_layers = 5;
  cfg.include_top = true;
  cfg.num_classes = 10;
  return nets::build_xinet(cfg, {.materialize_weights = true, .seed = 2});
}

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("tinyscale_onnx_writer_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path_),
                                                  std::filesystem::directory_iterator()));
  }

 private:
  std::filesystem::path path_;
};

onnx::ModelProto load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes)) << path;
  return model;
}

std::vector<std::int64_t> declared_shape(const onnx::ValueInfoProto& info) {
  std::vector<std::int64_t> dims;
  for (const auto& d : info.type().tensor_type().shape().dim()) dims.push_back(d.dim_value());
  return dims;
}

std::map<std::string, int> onnx_op_counts(const onnx::ModelProto& m) {
  std::map<std::string, int> counts;
  for (const onnx::NodeProto& n : m.graph().node()) ++counts[n.op_type()];
  return counts;
}

int graph_op_count(const core::Graph& g, OpType op) {
  return static_cast<int>(std::count_if(g.nodes.begin(), g.nodes.end(),
                                        [&](const core::Node& n) { return n.op == op; }));
}

struct Family {
  const char* name;
  core::Graph (*build)();
};

class OnnxWriterNet : public ::testing::TestWithParam<Family> {};

TEST_P(OnnxWriterNet, WritesACheckedModelWithDeclaredShapesAndOneNodePerOp) {
  const core::Graph g = GetParam().build();
  TempDir dir;
  for (const bool fold : {false, true}) {
    SCOPED_TRACE(fold ? "BatchNorm folded" : "BatchNorm kept");
    const std::string path = dir.file(std::string(GetParam().name) + ".onnx");
    write_onnx(g, path, fold);
    EXPECT_EQ(dir.entries(), 1u);  // no temporary left beside it
    const onnx::ModelProto m = load(path);
    EXPECT_NO_THROW(onnx::checker::check_model(m));
    EXPECT_EQ(m.ir_version(), 7);
    ASSERT_EQ(m.opset_import_size(), 1);
    EXPECT_EQ(m.opset_import(0).version(), 13);

    ASSERT_EQ(m.graph().input_size(), 1);
    EXPECT_EQ(declared_shape(m.graph().input(0)), (std::vector<std::int64_t>{1, 3, 96, 96}));
    ASSERT_EQ(m.graph().output_size(), 1);
    EXPECT_EQ(declared_shape(m.graph().output(0)), (std::vector<std::int64_t>{1, 10}));

    core::Graph expected = g;
    if (fold) {
      core::fold_batch_norm(expected);
      core::compact(expected);
      EXPECT_LT(graph_op_count(expected, OpType::batch_norm),
                graph_op_count(g, OpType::batch_norm));
    }
    const std::map<std::string, int> counts = onnx_op_counts(m);
    auto count = [&](const char* op) { return counts.count(op) ? counts.at(op) : 0; };
    EXPECT_EQ(count("Conv"), graph_op_count(expected, OpType::conv2d));
    EXPECT_GT(count("Conv"), 5);
    EXPECT_EQ(count("BatchNormalization"), graph_op_count(expected, OpType::batch_norm));
    EXPECT_EQ(count("HardSigmoid"), graph_op_count(expected, OpType::hard_swish));
    EXPECT_EQ(count("Gemm"), graph_op_count(expected, OpType::fully_connected));
    EXPECT_EQ(count("GlobalAveragePool"), graph_op_count(expected, OpType::global_avg_pool));
    EXPECT_EQ(count("Add"), graph_op_count(expected, OpType::add));
    EXPECT_EQ(count("Concat"), graph_op_count(expected, OpType::concat));

    // Names come from the graph: the first conv's node and weight initializer.
    const core::Node& first_conv =
        *std::find_if(expected.nodes.begin(), expected.nodes.end(),
                      [](const core::Node& n) { return n.op == OpType::conv2d; });
    const onnx::NodeProto* conv = nullptr;
    for (const auto& n : m.graph().node()) {
      if (n.op_type() == "Conv" && !conv) conv = &n;
    }
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->name(), first_conv.name);
    EXPECT_EQ(conv->input(1), expected.tensor(first_conv.inputs[1]).name);
    bool found = false;
    for (const auto& init : m.graph().initializer()) {
      if (init.name() != conv->input(1)) continue;
      found = true;
      // OIHW: [out, in / groups, kh, kw].
      const core::Shape& w = expected.tensor(first_conv.inputs[1]).shape;
      EXPECT_EQ(std::vector<std::int64_t>(init.dims().begin(), init.dims().end()),
                (std::vector<std::int64_t>{w[0], w[3], w[1], w[2]}));
    }
    EXPECT_TRUE(found);
    std::printf("  %s (%s): %d ONNX nodes, %zu bytes\n", GetParam().name,
                fold ? "folded" : "BatchNorm kept", m.graph().node_size(),
                static_cast<std::size_t>(std::filesystem::file_size(path)));
  }
}

std::vector<float> run_float(const core::Graph& graph, const std::vector<float>& input) {
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    ADD_FAILURE() << "compile failed: " << error;
    return {};
  }
  const engine::TensorRef& in = model.input(0);
  EXPECT_EQ(static_cast<std::size_t>(core::num_elements(in.shape())), input.size());
  std::memcpy(in.data, input.data(), input.size() * sizeof(float));
  EXPECT_EQ(model.run(), engine::Status::ok);
  const engine::TensorRef& out = model.output(0);
  const auto* p = static_cast<const float*>(out.data);
  return {p, p + core::num_elements(out.shape())};
}

TEST_P(OnnxWriterNet, ReadOnnxOfTheWrittenFileGivesTheSameOutputs) {
  const core::Graph g = GetParam().build();
  TempDir dir;
  const std::string path = dir.file("model.onnx");
  write_onnx(g, path, false);
  const core::Graph back = read_onnx(path);
  ASSERT_EQ(back.tensor(back.inputs[0]).shape, g.tensor(g.inputs[0]).shape);

  const core::Graph deployed = core::lower_for_deployment(g);
  const core::Graph deployed_back = core::lower_for_deployment(back);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> input(
      static_cast<std::size_t>(core::num_elements(g.tensor(g.inputs[0]).shape)));
  for (float& v : input) v = value(rng);
  const std::vector<float> expected = run_float(deployed, input);
  const std::vector<float> got = run_float(deployed_back, input);
  ASSERT_EQ(got.size(), expected.size());
  ASSERT_EQ(expected.size(), 10u);
  float worst = 0.0f;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(expected[i]) && std::isfinite(got[i])) << "logit " << i;
    worst = std::max(worst, std::abs(got[i] - expected[i]));
  }
  // The logits differ from one another (a network that computes something).
  EXPECT_GT(*std::max_element(expected.begin(), expected.end()) -
                *std::min_element(expected.begin(), expected.end()),
            1e-4f);
  EXPECT_LE(worst, 1e-5f);
  std::printf("  %s: builder vs read_onnx(write_onnx) max |diff| %.3g\n", GetParam().name, worst);
}

INSTANTIATE_TEST_SUITE_P(Nets, OnnxWriterNet,
                         ::testing::Values(Family{"phinet", phinet}, Family{"xinet", xinet}),
                         [](const ::testing::TestParamInfo<Family>& family) {
                           return std::string(family.param.name);
                         });

TEST(OnnxWriter, RejectsInt8GraphsAndLeavesNoFileOnFailure) {
  core::Graph g;
  const int x = g.add_input("x", {1, 4, 4, 2}, core::DType::int8);
  const int y = g.add_node(OpType::relu, "act", {x});
  g.tensor(y).dtype = core::DType::int8;
  g.mark_output(y);
  TempDir dir;
  const std::string path = dir.file("int8.onnx");
  try {
    write_onnx(g, path, false);
    ADD_FAILURE() << "an int8 graph was written";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("float"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.entries(), 0u);

  const std::string unwritable = "/nonexistent-tinyscale-dir/model.onnx";
  EXPECT_THROW(write_onnx(phinet(), unwritable, true), Error);
  EXPECT_FALSE(std::filesystem::exists(unwritable));
}

TEST(OnnxWriter, UnevenAdaptivePoolingIsWrittenAsPoolsOfSlices) {
  // ONNX has no adaptive pooling: 56 -> 3 (bins [0,19) [18,38) [37,56)) is written as
  // Slice + AveragePool per bin and a Concat, rows then columns, as the TFLite file holds it.
  core::Graph g;
  const int x = g.add_input("x", {1, 56, 56, 2});
  core::Attributes a;
  a.out_h = a.out_w = 3;
  g.mark_output(g.add_node(OpType::adaptive_avg_pool, "adaptive", {x}, a));
  const std::string bytes = write_onnx_string(g, false);
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(bytes));
  std::map<std::string, int> ops;
  for (const onnx::NodeProto& n : model.graph().node()) ++ops[n.op_type()];
  EXPECT_EQ(ops["Slice"], 6);
  EXPECT_EQ(ops["AveragePool"], 6);
  EXPECT_EQ(ops["Concat"], 2);
  EXPECT_EQ(model.graph().output(0).name(), "adaptive");

  // Read back, it computes what the graph computes.
  const core::Graph back = read_onnx_buffer(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, "adaptive.onnx");
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::vector<float> input(56 * 56 * 2);
  for (float& v : input) v = value(rng);
  const std::vector<float> expected = run_float(core::lower_for_deployment(g), input);
  const std::vector<float> got = run_float(core::lower_for_deployment(back), input);
  ASSERT_EQ(got.size(), 18u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]) << i;
}

TEST(OnnxWriter, EvenAdaptivePoolingIsOneAveragePool) {
  core::Graph g;
  const int x = g.add_input("x", {1, 7, 7, 2});
  core::Attributes a;
  a.out_h = a.out_w = 3;  // bins [0,3) [2,5) [4,7): kernel 3, stride 2
  g.mark_output(g.add_node(OpType::adaptive_avg_pool, "adaptive", {x}, a));
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(write_onnx_string(g, false)));
  ASSERT_EQ(model.graph().node_size(), 1);
  EXPECT_EQ(model.graph().node(0).op_type(), "AveragePool");
}

}  // namespace
}  // namespace tinyscale::exporter
