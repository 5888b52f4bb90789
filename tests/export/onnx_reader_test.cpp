// Tests of export/onnx_reader: micromind's PhiNet/XiNet as torch.onnx.export wrote them
// (every file variant read, lowered, run on the engine's float32 kernels and compared with
// PyTorch's output; skipped without ../shared), small models built in memory with the onnx
// protobuf classes (layout conversion, op mappings, refusals), and corrupt or missing files.
#include "export/onnx_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"
#include "engine/engine.h"
#include "export/onnx_proto.h"

namespace tinyscale::exporter {
namespace {

using core::OpType;
using core::Shape;

const std::string kInterop = std::string(TINYSCALE_SHARED_DIR) + "/interop/onnx";

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<float> read_floats(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_bytes(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

#define SKIP_WITHOUT_INTEROP(file)                                   \
  if (!std::filesystem::exists(file)) {                              \
    GTEST_SKIP() << "interop fixture " << (file)                     \
                 << " is absent (no ../shared beside the checkout)"; \
  }

// The message of the tinyscale::Error that reading `bytes` throws ("" if it loads).
std::string read_error(const std::vector<std::uint8_t>& bytes,
                       const std::string& origin = "synthetic.onnx") {
  try {
    read_onnx_buffer(bytes, origin);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Runs a float graph (after lower_for_deployment) on the engine's float32 kernels.
std::vector<float> run_float(const core::Graph& graph, const std::vector<float>& input) {
  engine::CompiledModel model;
  char error[256] = "";
  const engine::Status status = model.compile(graph, {}, error, sizeof error);
  EXPECT_EQ(status, engine::Status::ok) << error;
  if (status != engine::Status::ok) return {};
  std::memcpy(model.input(0).data, input.data(), input.size() * sizeof(float));
  EXPECT_EQ(model.run(), engine::Status::ok);
  const core::Tensor& out = *model.output(0).tensor;
  const float* y = model.output(0).as<float>();
  return {y, y + core::num_elements(out.shape)};
}

// NCHW float32 -> NHWC.
std::vector<float> nchw_to_nhwc(const std::vector<float>& x, const Shape& nchw) {
  const std::int64_t n = nchw[0], c = nchw[1], h = nchw[2], w = nchw[3];
  std::vector<float> y(x.size());
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t i = 0; i < h; ++i)
        for (std::int64_t j = 0; j < w; ++j)
          y[static_cast<std::size_t>(((b * h + i) * w + j) * c + ch)] =
              x[static_cast<std::size_t>(((b * c + ch) * h + i) * w + j)];
  return y;
}

// ---------------------------------------------------------------- micromind fixtures

struct Fixture {
  std::string model;
  std::string file;
};

class OnnxFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(OnnxFixture, MatchesPyTorchOutput) {
  const std::string dir = kInterop + "/" + GetParam().model;
  const std::string path = dir + "/" + GetParam().file;
  SKIP_WITHOUT_INTEROP(path);
  const core::Graph graph = read_onnx(path);
  ASSERT_EQ(graph.inputs.size(), 1u);
  const Shape nhwc = graph.tensor(graph.inputs[0]).shape;
  ASSERT_EQ(nhwc.size(), 4u);
  const core::Graph deployed = core::lower_for_deployment(graph);
  for (const core::Node& n : deployed.nodes) {
    EXPECT_NE(n.op, OpType::batch_norm) << n.name;  // all folded
  }
  const std::vector<float> input =
      nchw_to_nhwc(read_floats(dir + "/input_0.bin"), {nhwc[0], nhwc[3], nhwc[1], nhwc[2]});
  const std::vector<float> expected = read_floats(dir + "/output_0.bin");
  const std::vector<float> actual = run_float(deployed, input);
  ASSERT_EQ(actual.size(), expected.size());
  double max_error = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    max_error = std::max(max_error, std::fabs(double{actual[i]} - expected[i]));
    EXPECT_NEAR(actual[i], expected[i], 1e-4) << "logit " << i;
  }
  std::cout << "[ onnx ] " << GetParam().model << "/" << GetParam().file
            << ": max abs error vs PyTorch " << max_error << "\n";
  RecordProperty("max_abs_error", std::to_string(max_error));
}

INSTANTIATE_TEST_SUITE_P(Micromind, OnnxFixture,
                         ::testing::Values(Fixture{"phinet_a", "model_op13.onnx"},
                                           Fixture{"phinet_a", "model_op13_folded.onnx"},
                                           Fixture{"phinet_a", "model_op13_torchfold.onnx"},
                                           Fixture{"phinet_a", "model_op11.onnx"},
                                           Fixture{"phinet_a", "model_op11_folded.onnx"},
                                           Fixture{"xinet", "model_op13.onnx"},
                                           Fixture{"xinet", "model_op13_folded.onnx"},
                                           Fixture{"xinet", "model_op13_torchfold.onnx"},
                                           Fixture{"phinet_kws", "model_op13.onnx"},
                                           Fixture{"phinet_kws", "model_op13_folded.onnx"},
                                           Fixture{"phinet_kws", "model_op13_torchfold.onnx"}),
                         [](const ::testing::TestParamInfo<Fixture>& param_info) {
                           std::string name = param_info.param.model + "_" + param_info.param.file;
                           name = name.substr(0, name.size() - 5);  // ".onnx"
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

// The cost-model counts of the imported graphs (BatchNorm kept, so gamma/beta count as
// torchinfo counts them) equal micromind's figures in meta.json.
TEST(OnnxReader, ImportedCountsMatchMicromind) {
  for (const char* model : {"phinet_a", "xinet", "phinet_kws"}) {
    const std::string dir = kInterop + "/" + model;
    SKIP_WITHOUT_INTEROP(dir + "/meta.json");
    std::ifstream meta_file(dir + "/meta.json");
    const nlohmann::json meta = nlohmann::json::parse(meta_file);
    const core::Graph g = read_onnx(dir + "/model_op13.onnx");
    std::int64_t params = 0, macs = 0, macs_torchinfo = 0;
    for (const core::Node& n : g.nodes) {
      const core::OpInfo& info = core::op_info(n.op);
      params += info.params(g, n);
      macs += info.macs(g, n);
      macs_torchinfo += info.macs_torchinfo(g, n);
    }
    const nlohmann::json& c = meta["complexity"];
    EXPECT_EQ(params, c["params"].get<std::int64_t>()) << model;
    EXPECT_EQ(macs, c["macs_conv_linear"].get<std::int64_t>()) << model;
    EXPECT_EQ(macs_torchinfo, c["macs_torchinfo"].get<std::int64_t>()) << model;
    if (std::string(model) == "phinet_a") {
      EXPECT_EQ(params, 36173);
    }
  }
}

TEST(OnnxReader, PhinetImportsHardSwishAndNhwcInput) {
  const std::string path = kInterop + "/phinet_a/model_op13.onnx";
  SKIP_WITHOUT_INTEROP(path);
  const core::Graph g = read_onnx(path);
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (Shape{1, 96, 96, 3}));
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (Shape{1, 10}));
  int hard_swish = 0, pads = 0;
  for (const core::Node& n : g.nodes) {
    hard_swish += n.op == OpType::hard_swish;
    pads += n.op == OpType::pad;
  }
  EXPECT_EQ(hard_swish, 23);  // every HardSigmoid·x pair
  EXPECT_EQ(pads, 1);         // torch's pads subgraph folded into one pad node
  EXPECT_EQ(g.nodes.front().name, "/_layers.0/Pad");
}

// ---------------------------------------------------------------- synthetic models

struct ModelBuilder {
  onnx::ModelProto model;
  onnx::GraphProto* graph;

  explicit ModelBuilder(int opset = 13) {
    model.set_ir_version(7);
    model.set_producer_name("onnx_reader_test");
    onnx::OperatorSetIdProto* o = model.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    graph = model.mutable_graph();
    graph->set_name("test");
  }
  static void set_type(onnx::ValueInfoProto* v, const std::string& name, const Shape& dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = t->mutable_shape();
    for (const std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }
  void input(const std::string& name, const Shape& dims) {
    set_type(graph->add_input(), name, dims);
  }
  void output(const std::string& name) {
    onnx::ValueInfoProto* v = graph->add_output();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape();  // rank unknown; the checker wants the field
  }
  void floats(const std::string& name, const Shape& dims, const std::vector<float>& values) {
    onnx::TensorProto* t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (const std::int64_t d : dims) t->add_dims(d);
    t->set_raw_data(
        std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  }
  void ints(const std::string& name, const std::vector<std::int64_t>& values) {
    onnx::TensorProto* t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    for (const std::int64_t v : values) t->add_int64_data(v);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& out) {
    onnx::NodeProto* n = graph->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(graph->node_size() - 1));
    for (const std::string& i : inputs) n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void attr_int(onnx::NodeProto* n, const std::string& name, std::int64_t value) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  static void attr_float(onnx::NodeProto* n, const std::string& name, float value) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& name,
                        const std::vector<std::int64_t>& values) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (const std::int64_t v : values) a->add_ints(v);
  }
  std::vector<std::uint8_t> bytes() const {
    std::string s;
    model.SerializeToString(&s);
    return {s.begin(), s.end()};
  }
};

// x [1,2,2,3] NCHW -> Conv(3 out, 1x1, bias) -> Sub 1 -> Div 2 -> GlobalAveragePool ->
// Flatten -> Gemm(transB) : every value checked against a direct NCHW computation.
TEST(OnnxReader, SmallModelMatchesDirectComputation) {
  ModelBuilder b;
  b.input("x", {1, 2, 2, 3});
  // Weight OIHW [3, 2, 1, 1]: out o = sum_c w[o][c] x[c].
  b.floats("w", {3, 2, 1, 1}, {1, 2, -1, 0.5f, 0, 3});
  b.floats("bias", {3}, {0.25f, -0.5f, 1});
  b.floats("one", {}, {1});
  b.floats("two", {1, 1, 1}, {2});
  b.floats("fc", {2, 3}, {1, -1, 0.5f, 2, 0, 1});
  b.floats("fc_b", {2}, {0.1f, -0.2f});
  b.node("Conv", {"x", "w", "bias"}, "c");
  b.node("Sub", {"c", "one"}, "s");
  b.node("Div", {"s", "two"}, "d");
  b.node("GlobalAveragePool", {"d"}, "p");
  ModelBuilder::attr_int(b.node("Flatten", {"p"}, "f"), "axis", 1);
  ModelBuilder::attr_int(b.node("Gemm", {"f", "fc", "fc_b"}, "y"), "transB", 1);
  b.output("y");
  const core::Graph g = read_onnx_buffer(b.bytes(), "small.onnx");
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (Shape{1, 2, 3, 2}));
  const float w[3][2] = {{1, 2}, {-1, 0.5f}, {0, 3}};
  const float bias[3] = {0.25f, -0.5f, 1};
  std::vector<float> x_nchw(12);
  for (std::size_t i = 0; i < 12; ++i) x_nchw[i] = 0.1f * static_cast<float>(i) - 0.4f;
  float pooled[3] = {0, 0, 0};
  for (int o = 0; o < 3; ++o) {
    for (int p = 0; p < 6; ++p) {
      const float conv = w[o][0] * x_nchw[static_cast<std::size_t>(p)] +
                         w[o][1] * x_nchw[static_cast<std::size_t>(6 + p)] + bias[o];
      pooled[o] += (conv - 1) / 2 / 6;
    }
  }
  const float expected[2] = {pooled[0] - pooled[1] + 0.5f * pooled[2] + 0.1f,
                             2 * pooled[0] + pooled[2] - 0.2f};
  const std::vector<float> y =
      run_float(core::lower_for_deployment(g), nchw_to_nhwc(x_nchw, {1, 2, 2, 3}));
  ASSERT_EQ(y.size(), 2u);
  EXPECT_NEAR(y[0], expected[0], 1e-5);
  EXPECT_NEAR(y[1], expected[1], 1e-5);
  // The conv weight is stored OHWI.
  const core::Node& conv = g.nodes[0];
  EXPECT_EQ(conv.op, OpType::conv2d);
  EXPECT_EQ(conv.name, "Conv_0");
  EXPECT_EQ(g.tensor(conv.inputs[1]).shape, (Shape{3, 1, 1, 2}));
}

TEST(OnnxReader, ConcatAxisAndConstantOperandsFollowNhwc) {
  ModelBuilder b;
  b.input("x", {1, 2, 3, 3});
  b.floats("scale", {2, 1, 1}, {2, -1});
  b.node("Mul", {"x", "scale"}, "m");
  ModelBuilder::attr_int(b.node("Concat", {"x", "m"}, "y"), "axis", 1);
  b.output("y");
  const core::Graph g = read_onnx_buffer(b.bytes(), "concat.onnx");
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (Shape{1, 3, 3, 4}));
  EXPECT_EQ(g.nodes[1].attrs.axis, 3);
  EXPECT_EQ(g.tensor(g.nodes[0].inputs[1]).shape, (Shape{1, 1, 1, 2}));
}

// ---------------------------------------------------------------- size limits (core/limits.h)

TEST(OnnxReader, GraphInputOverTheTensorLimitIsRefused) {
  ModelBuilder b;
  b.input("x", {1, 4, 16384, 16384});  // 4 GiB of float from a file of a few dozen bytes
  b.node("Relu", {"x"}, "y");
  b.output("y");
  EXPECT_EQ(read_error(b.bytes(), "big.onnx"),
            "big.onnx: graph input 'x' (1x4x16384x16384, 4 bytes an element) needs 4294967296 "
            "bytes, over the 256 MiB limit for one tensor (kMaxTensorBytes)");
}

TEST(OnnxReader, InferredOutputOverTheTensorLimitIsRefused) {
  // Five copies of a 64 MiB input concatenated: every declared size is fine, the inferred
  // output (320 MiB) is not.
  ModelBuilder b;
  b.input("x", {1, 1, 4096, 4096});
  ModelBuilder::attr_int(b.node("Concat", {"x", "x", "x", "x", "x"}, "y"), "axis", 1);
  b.output("y");
  EXPECT_EQ(read_error(b.bytes(), "cat.onnx"),
            "cat.onnx: node 0 'Concat_0' (Concat) output 'Concat_0' (1x4096x4096x5, 4 bytes an "
            "element) needs 335544320 bytes, over the 256 MiB limit for one tensor "
            "(kMaxTensorBytes)");
}

TEST(OnnxReader, FoldedConstantOverTheTensorLimitIsRefusedBeforeFolding) {
  // Two 32 kB initializers whose sum broadcasts to 8192x8192 (512 MiB as the reader holds
  // constants).
  ModelBuilder b;
  b.input("x", {1, 4});
  b.floats("column", {8192, 1}, std::vector<float>(8192, 1.0f));
  b.floats("row", {1, 8192}, std::vector<float>(8192, 2.0f));
  b.node("Add", {"column", "row"}, "sum");
  b.node("Relu", {"x"}, "y");
  b.output("y");
  EXPECT_EQ(read_error(b.bytes(), "fold.onnx"),
            "fold.onnx: node 0 'Add_0' (Add): its folded constant (8192x8192, 8 bytes an "
            "element) needs 536870912 bytes, over the 256 MiB limit for one tensor "
            "(kMaxTensorBytes)");
  // A ConstantOfShape asking for 2^40 elements.
  ModelBuilder c;
  c.input("x", {1, 4});
  c.ints("shape", {1048576, 1048576});
  c.node("ConstantOfShape", {"shape"}, "zeros");
  c.node("Relu", {"x"}, "y");
  c.output("y");
  const std::string error = read_error(c.bytes(), "zeros.onnx");
  EXPECT_NE(error.find("zeros.onnx: node 0 output (1048576x1048576, 8 bytes an element) needs "
                       "8796093022208 bytes, over the 256 MiB limit for one tensor"),
            std::string::npos)
      << error;
}

TEST(OnnxReader, RefusesUnsupportedOpNamingIt) {
  ModelBuilder b;
  b.input("x", {1, 4});
  b.node("Relu", {"x"}, "r");
  b.node("Erf", {"r"}, "y")->set_name("my_erf");
  b.output("y");
  const std::string error = read_error(b.bytes(), "erf.onnx");
  EXPECT_NE(error.find("erf.onnx: node 1 'my_erf' is Erf, which tinyscale does not import; "
                       "supported: Conv"),
            std::string::npos)
      << error;
}

TEST(OnnxReader, RefusesLoneHardSigmoid) {
  ModelBuilder b;
  b.input("x", {1, 4});
  ModelBuilder::attr_float(b.node("HardSigmoid", {"x"}, "y"), "alpha", 1.0f / 6);
  b.output("y");
  const std::string error = read_error(b.bytes());
  EXPECT_NE(error.find("node 0 'HardSigmoid_0' (HardSigmoid)"), std::string::npos) << error;
}

TEST(OnnxReader, RefusesLayoutChangingFlatten) {
  ModelBuilder b;
  b.input("x", {1, 2, 3, 3});
  b.node("Flatten", {"x"}, "y");
  b.output("y");
  const std::string error = read_error(b.bytes());
  EXPECT_NE(error.find("changes the element order"), std::string::npos) << error;
}

TEST(OnnxReader, RefusesComputedPads) {
  ModelBuilder b;
  b.input("x", {1, 2, 3, 3});
  b.input("pads", {8});
  b.node("Pad", {"x", "pads"}, "y");
  b.output("y");
  const std::string error = read_error(b.bytes());
  EXPECT_NE(error.find("node 0 'Pad_0' (Pad): pads 'pads' must be a constant"), std::string::npos)
      << error;
}

// x [1,4,2,2] NCHW -> two halves of the channels -> Concat(second, first): channels swapped.
std::vector<float> swapped_halves(const std::vector<float>& x_nhwc) {
  std::vector<float> y(x_nhwc.size());
  for (std::size_t p = 0; p < 4; ++p) {
    for (std::size_t c = 0; c < 4; ++c) y[p * 4 + c] = x_nhwc[p * 4 + (c + 2) % 4];
  }
  return y;
}

TEST(OnnxReader, SplitOfAComputedTensorBecomesOneSplitNode) {
  ModelBuilder b;
  b.input("x", {1, 4, 2, 2});
  b.ints("sizes", {2, 2});
  onnx::NodeProto* split = b.node("Split", {"x", "sizes"}, "first");
  split->add_output("second");
  ModelBuilder::attr_int(split, "axis", 1);
  ModelBuilder::attr_int(b.node("Concat", {"second", "first"}, "y"), "axis", 1);
  b.output("y");
  const core::Graph g = read_onnx_buffer(b.bytes(), "split.onnx");
  ASSERT_EQ(g.nodes[0].op, OpType::split);
  EXPECT_EQ(g.nodes[0].attrs.axis, 3);  // NCHW channels are NHWC axis 3
  ASSERT_EQ(g.nodes[0].outputs.size(), 2u);
  EXPECT_EQ(g.tensor(g.nodes[0].outputs[1]).shape, (Shape{1, 2, 2, 2}));
  std::vector<float> x(16);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  EXPECT_EQ(run_float(g, x), swapped_halves(x));
}

TEST(OnnxReader, SlicesOfTorchChunkShareOneSplit) {
  // torch.chunk(x, 2, dim=1) as torch writes it at opset 13: one Slice per part.
  ModelBuilder b;
  b.input("x", {1, 4, 2, 2});
  b.ints("zero", {0});
  b.ints("two", {2});
  b.ints("four", {4});
  b.ints("axis", {1});
  b.node("Slice", {"x", "zero", "two", "axis"}, "first");
  b.node("Slice", {"x", "two", "four", "axis"}, "second");
  ModelBuilder::attr_int(b.node("Concat", {"second", "first"}, "y"), "axis", 1);
  b.output("y");
  const core::Graph g = read_onnx_buffer(b.bytes(), "chunk.onnx");
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op, OpType::split);
  EXPECT_EQ(g.nodes[0].name, "Slice_0/chunk");
  std::vector<float> x(16);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.5f;
  EXPECT_EQ(run_float(g, x), swapped_halves(x));
}

TEST(OnnxReader, RefusesUnequalSplitsOfComputedTensors) {
  ModelBuilder b;
  b.input("x", {1, 4, 2, 2});
  b.ints("sizes", {1, 3});
  onnx::NodeProto* split = b.node("Split", {"x", "sizes"}, "first");
  split->add_output("second");
  ModelBuilder::attr_int(split, "axis", 1);
  b.node("Relu", {"second"}, "y");
  b.output("y");
  std::string error = read_error(b.bytes(), "uneven.onnx");
  EXPECT_NE(error.find("uneven.onnx: node 0 'Split_0' (Split): splits dimension 4 of axis 1 "
                       "into sizes [1, 3]; tinyscale imports a Split of a computed tensor into "
                       "equal parts only"),
            std::string::npos)
      << error;
}

TEST(OnnxReader, UnevenSliceBecomesASliceNode) {
  // x[:, 1:3, :, 1:] of an NCHW [1, 4, 2, 3] input: channels 1..2, all rows, columns 1..2.
  ModelBuilder b;
  b.input("x", {1, 4, 2, 3});
  b.ints("starts", {1, 1});
  b.ints("ends", {3, 3});
  b.ints("axes", {1, 3});
  b.node("Slice", {"x", "starts", "ends", "axes"}, "y");
  b.output("y");
  const core::Graph g = read_onnx_buffer(b.bytes(), "slice.onnx");
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpType::slice);
  // NHWC: begin [0, 0, 1, 1], size [1, 2, 2, 2].
  EXPECT_EQ(g.nodes[0].attrs.slice_begin, (core::Shape{0, 0, 1, 1}));
  EXPECT_EQ(g.nodes[0].attrs.slice_size, (core::Shape{1, 2, 2, 2}));
  std::vector<float> x(24);  // NHWC [1, 2, 3, 4]: value = 100 h + 10 w + c
  for (int h = 0; h < 2; ++h)
    for (int w = 0; w < 3; ++w)
      for (int c = 0; c < 4; ++c)
        x[static_cast<std::size_t>((h * 3 + w) * 4 + c)] = static_cast<float>(100 * h + 10 * w + c);
  EXPECT_EQ(run_float(g, x), (std::vector<float>{11, 12, 21, 22, 111, 112, 121, 122}));

  ModelBuilder s;
  s.input("x", {1, 4, 2, 2});
  s.ints("zero", {0});
  s.ints("four", {4});
  s.ints("axis", {1});
  s.ints("two", {2});
  s.node("Slice", {"x", "zero", "four", "axis", "two"}, "y");
  s.output("y");
  const std::string error = read_error(s.bytes(), "strided.onnx");
  EXPECT_NE(error.find("steps [2]"), std::string::npos) << error;
}

// ---------------------------------------------------------------- bad files

TEST(OnnxReader, MissingFileNamesIt) {
  try {
    read_onnx("/nonexistent/model.onnx");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.onnx"), std::string::npos);
  }
}

TEST(OnnxReader, RandomBytesAreRejected) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(1 + trial * 37));
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
    const std::string error = read_error(bytes, "random.onnx");
    EXPECT_EQ(error.rfind("random.onnx: ", 0), 0u) << error;
  }
  EXPECT_EQ(read_error({}, "empty.onnx").rfind("empty.onnx: ", 0), 0u);
}

TEST(OnnxReader, TruncatedAndBitFlippedModelsNeverCrash) {
  std::vector<std::uint8_t> bytes;
  const std::string path = kInterop + "/phinet_a/model_op13.onnx";
  if (std::filesystem::exists(path)) {
    bytes = read_bytes(path);
  } else {
    ModelBuilder b;
    b.input("x", {1, 2, 3, 3});
    b.floats("w", {2, 2, 1, 1}, {1, 2, 3, 4});
    b.node("Conv", {"x", "w"}, "y");
    b.output("y");
    bytes = b.bytes();
  }
  ASSERT_EQ(read_error(bytes, "model.onnx"), "");
  for (const std::size_t keep : {bytes.size() / 2, bytes.size() - 1, std::size_t{10}}) {
    const std::vector<std::uint8_t> cut(bytes.begin(),
                                        bytes.begin() + static_cast<std::ptrdiff_t>(keep));
    const std::string error = read_error(cut, "truncated.onnx");
    EXPECT_EQ(error.rfind("truncated.onnx: ", 0), 0u) << keep << ": " << error;
  }
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<std::uint8_t> flipped = bytes;
    for (int k = 0; k < 4; ++k)
      flipped[rng() % flipped.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    try {
      read_onnx_buffer(flipped, "flipped.onnx");
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("flipped.onnx: ", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace tinyscale::exporter
