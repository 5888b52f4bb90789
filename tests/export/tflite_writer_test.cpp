// Tests of export/tflite_writer: read → write → read of the MLPerf Tiny interop models
// (skipped without ../shared) gives the same graph and byte-identical engine outputs; a
// hand-built int8 graph with pads that are neither SAME nor VALID goes through an inserted
// PAD with identical outputs; unsupported ops and float graphs are rejected naming the
// node; a failed write leaves no file.
#include "export/tflite_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
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
#include "costmodel/costmodel.h"
#include "engine/engine.h"
#include "export/tflite_reader.h"
#include "export/tflite_schema.h"

namespace tinyscale::exporter {
namespace {

using core::OpType;

const std::string kInterop = std::string(TINYSCALE_SHARED_DIR) + "/interop/tflite";

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void expect_same_attributes(const core::Attributes& a, const core::Attributes& b,
                            const std::string& where) {
  EXPECT_EQ(a.kernel_h, b.kernel_h) << where;
  EXPECT_EQ(a.kernel_w, b.kernel_w) << where;
  EXPECT_EQ(a.stride_h, b.stride_h) << where;
  EXPECT_EQ(a.stride_w, b.stride_w) << where;
  EXPECT_EQ(a.dilation_h, b.dilation_h) << where;
  EXPECT_EQ(a.dilation_w, b.dilation_w) << where;
  EXPECT_EQ(a.pad_top, b.pad_top) << where;
  EXPECT_EQ(a.pad_bottom, b.pad_bottom) << where;
  EXPECT_EQ(a.pad_left, b.pad_left) << where;
  EXPECT_EQ(a.pad_right, b.pad_right) << where;
  EXPECT_EQ(a.groups, b.groups) << where;
  EXPECT_EQ(a.clip_min, b.clip_min) << where;
  EXPECT_EQ(a.clip_max, b.clip_max) << where;
  EXPECT_EQ(a.axis, b.axis) << where;
  EXPECT_EQ(a.new_shape, b.new_shape) << where;
  EXPECT_EQ(a.slice_begin, b.slice_begin) << where;
  EXPECT_EQ(a.slice_size, b.slice_size) << where;
  EXPECT_EQ(a.scale_h, b.scale_h) << where;
  EXPECT_EQ(a.scale_w, b.scale_w) << where;
  EXPECT_EQ(a.pad_value, b.pad_value) << where;
  EXPECT_EQ(a.softmax_beta, b.softmax_beta) << where;
  EXPECT_EQ(a.leaky_alpha, b.leaky_alpha) << where;
  EXPECT_EQ(a.keep_num_dims, b.keep_num_dims) << where;
  EXPECT_EQ(a.fused_activation, b.fused_activation) << where;
}

void expect_same_graph(const core::Graph& a, const core::Graph& b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const core::Tensor& x = a.tensors[i];
    const core::Tensor& y = b.tensors[i];
    const std::string where = "tensor " + std::to_string(i) + " '" + x.name + "'";
    EXPECT_EQ(x.name, y.name) << where;
    EXPECT_EQ(x.shape, y.shape) << where;
    EXPECT_EQ(x.dtype, y.dtype) << where;
    EXPECT_EQ(x.is_constant, y.is_constant) << where;
    EXPECT_TRUE(x.data == y.data) << where << ": data bytes differ";
    EXPECT_EQ(x.quantization.scales, y.quantization.scales) << where;
    EXPECT_EQ(x.quantization.zero_points, y.quantization.zero_points) << where;
    EXPECT_EQ(x.quantization.axis, y.quantization.axis) << where;
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (std::size_t k = 0; k < a.nodes.size(); ++k) {
    const core::Node& x = a.nodes[k];
    const core::Node& y = b.nodes[k];
    const std::string where = "node " + std::to_string(k) + " '" + x.name + "'";
    EXPECT_EQ(x.op, y.op) << where;
    EXPECT_EQ(x.name, y.name) << where;
    EXPECT_EQ(x.inputs, y.inputs) << where;
    EXPECT_EQ(x.outputs, y.outputs) << where;
    expect_same_attributes(x.attrs, y.attrs, where);
  }
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(core::dump(a), core::dump(b));
}

// The engine's output 0 for `input` (raw bytes of input 0).
std::vector<std::uint8_t> run_engine(const core::Graph& graph,
                                     const std::vector<std::uint8_t>& input) {
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    ADD_FAILURE() << "compile failed: " << error;
    return {};
  }
  const engine::TensorRef& in = model.input(0);
  const auto in_bytes =
      static_cast<std::size_t>(core::num_elements(in.shape()) * core::dtype_size(in.tensor->dtype));
  EXPECT_EQ(in_bytes, input.size());
  std::memcpy(in.data, input.data(), std::min(in_bytes, input.size()));
  EXPECT_EQ(model.run(), engine::Status::ok);
  const engine::TensorRef& out = model.output(0);
  const auto out_bytes = static_cast<std::size_t>(core::num_elements(out.shape()) *
                                                  core::dtype_size(out.tensor->dtype));
  const auto* p = static_cast<const std::uint8_t*>(out.data);
  return {p, p + out_bytes};
}

// ---------------------------------------------------------------- interop models

class InteropRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(InteropRoundTrip, ReadWriteReadGivesTheSameGraphAndOutputs) {
  const std::string dir = kInterop + "/" + GetParam() + "/";
  if (!std::filesystem::exists(dir + "model.tflite")) {
    GTEST_SKIP() << "interop fixture " << dir
                 << "model.tflite is absent (no ../shared beside the checkout)";
  }
  const core::Graph original = read_tflite(dir + "model.tflite");
  const std::vector<std::uint8_t> bytes = write_tflite_buffer(original);
  const core::Graph again = read_tflite_buffer(bytes, "written.tflite");
  expect_same_graph(original, again);

  // Writing the re-read graph gives the same bytes: the writer is deterministic.
  EXPECT_TRUE(write_tflite_buffer(again) == bytes);

  int cases = 0;
  for (const char* name : {"uniform", "narrow", "sine"}) {
    const std::string input_file = dir + "input_" + name + ".bin";
    if (!std::filesystem::exists(input_file)) continue;
    ++cases;
    const std::vector<std::uint8_t> input = read_bytes(input_file);
    const std::vector<std::uint8_t> expected = run_engine(original, input);
    const std::vector<std::uint8_t> got = run_engine(again, input);
    ASSERT_FALSE(expected.empty());
    EXPECT_TRUE(got == expected) << GetParam() << " " << name << ": outputs differ";
    // And both equal TFLite Micro's output on the original file.
    const std::vector<std::uint8_t> tflm = read_bytes(dir + "output_" + name + ".bin");
    EXPECT_TRUE(got == tflm) << GetParam() << " " << name << ": differs from TFLite Micro";
  }
  EXPECT_EQ(cases, 3);

  // The FLASH figure: the written file against the cost model's estimate (reported only).
  const std::vector<std::uint8_t> file = read_bytes(dir + "model.tflite");
  const costmodel::CostReport cost = costmodel::analyze(original);
  std::printf("  %s: written %zu B, original file %zu B, costmodel flash_bytes %lld B\n",
              GetParam(), bytes.size(), file.size(), static_cast<long long>(cost.flash_bytes));
}

INSTANTIATE_TEST_SUITE_P(MlperfTiny, InteropRoundTrip,
                         ::testing::Values("kws_ref_model", "ad01_int8"));

// ---------------------------------------------------------------- a hand-built int8 graph

core::Quantization per_tensor(float scale, std::int64_t zero_point) {
  core::Quantization q;
  q.scales = {scale};
  q.zero_points = {zero_point};
  return q;
}

int int8_activation(core::Graph& g, int id, float scale, std::int64_t zero_point) {
  g.tensor(id).dtype = core::DType::int8;
  g.tensor(id).quantization = per_tensor(scale, zero_point);
  return id;
}

// Per-channel int8 weights [out, kh, kw, in] and their int32 bias (scale in · w).
std::pair<int, int> conv_weights(core::Graph& g, const std::string& name, core::Shape shape,
                                 float input_scale, std::mt19937& rng) {
  const int w = g.add_constant(name + ".weight", shape, core::DType::int8);
  core::Tensor& wt = g.tensor(w);
  wt.data.resize(static_cast<std::size_t>(core::num_elements(shape)));
  std::uniform_int_distribution<int> value(-127, 127);
  for (auto& byte : wt.data) byte = static_cast<std::uint8_t>(static_cast<std::int8_t>(value(rng)));
  const std::int64_t out = shape[0];
  for (std::int64_t c = 0; c < out; ++c) {
    wt.quantization.scales.push_back(0.01f + 0.002f * static_cast<float>(c));
    wt.quantization.zero_points.push_back(0);
  }
  wt.quantization.axis = 0;
  const int b = g.add_constant(name + ".bias", {out}, core::DType::int32);
  core::Tensor& bt = g.tensor(b);
  bt.data.resize(static_cast<std::size_t>(out) * 4);
  std::uniform_int_distribution<std::int32_t> bias(-2000, 2000);
  for (std::int64_t c = 0; c < out; ++c) {
    const std::int32_t v = bias(rng);
    std::memcpy(&bt.data[static_cast<std::size_t>(c) * 4], &v, 4);
    bt.quantization.scales.push_back(input_scale *
                                     g.tensor(w).quantization.scales[static_cast<std::size_t>(c)]);
    bt.quantization.zero_points.push_back(0);
  }
  return {w, b};
}

// input [1,9,9,3] -> conv 3x3 with pads (2,0,1,2) (neither SAME nor VALID), relu6
// -> depthwise 3x3 stride 2 SAME -> global_avg_pool -> reshape [1,8] -> fully_connected
// -> softmax.
core::Graph odd_padding_graph() {
  std::mt19937 rng(7);
  core::Graph g;
  const int x = int8_activation(g, g.add_input("input", {1, 9, 9, 3}), 0.05f, -3);

  core::Attributes conv;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = 2;
  conv.pad_bottom = 0;
  conv.pad_left = 1;
  conv.pad_right = 2;
  conv.fused_activation = core::FusedActivation::relu6;
  const auto [w1, b1] = conv_weights(g, "conv1", {8, 3, 3, 3}, 0.05f, rng);
  const int y1 = int8_activation(g, g.add_node(OpType::conv2d, "conv1", {x, w1, b1}, conv),
                                 6.0f / 255.0f, -128);

  core::Attributes dw;
  dw.kernel_h = dw.kernel_w = 3;
  dw.stride_h = dw.stride_w = 2;
  dw.groups = 8;
  // TFLite's SAME for a 9x10 input, kernel 3, stride 2: 1+1 rows, 0+1 columns.
  dw.pad_top = dw.pad_bottom = 1;
  dw.pad_left = 0;
  dw.pad_right = 1;
  const auto [w2, b2] = conv_weights(g, "dw", {8, 3, 3, 1}, 6.0f / 255.0f, rng);
  const int y2 = int8_activation(g, g.add_node(OpType::conv2d, "dw", {y1, w2, b2}, dw), 0.04f, 5);

  const int y3 = int8_activation(g, g.add_node(OpType::global_avg_pool, "pool", {y2}), 0.04f, 5);
  core::Attributes reshape;
  reshape.new_shape = {1, 8};
  const int y4 =
      int8_activation(g, g.add_node(OpType::reshape, "flatten", {y3}, reshape), 0.04f, 5);
  const auto [w5, b5] = conv_weights(g, "fc", {4, 1, 1, 8}, 0.04f, rng);
  g.tensor(w5).shape = {4, 8};
  core::Attributes fc;
  fc.keep_num_dims = false;
  const int y5 =
      int8_activation(g, g.add_node(OpType::fully_connected, "fc", {y4, w5, b5}, fc), 0.1f, 2);
  const int y6 =
      int8_activation(g, g.add_node(OpType::softmax, "softmax", {y5}), 1.0f / 256.0f, -128);
  g.mark_output(y6);
  g.validate();
  return g;
}

TEST(TfliteWriter, PadsNeitherSameNorValidBecomeAnExplicitPad) {
  const core::Graph g = odd_padding_graph();
  // conv1's output is 9x10 (9 + 2 + 0 - 2 high, 9 + 1 + 2 - 2 wide).
  ASSERT_EQ(g.tensor(g.nodes[0].outputs[0]).shape, (core::Shape{1, 9, 10, 8}));
  const core::Graph back = read_tflite_buffer(write_tflite_buffer(g), "odd.tflite");

  ASSERT_EQ(back.nodes.size(), g.nodes.size() + 1);
  EXPECT_EQ(back.nodes[0].op, OpType::pad);
  EXPECT_EQ(back.nodes[0].attrs.pad_top, 2);
  EXPECT_EQ(back.nodes[0].attrs.pad_bottom, 0);
  EXPECT_EQ(back.nodes[0].attrs.pad_left, 1);
  EXPECT_EQ(back.nodes[0].attrs.pad_right, 2);
  EXPECT_EQ(back.tensor(back.nodes[0].outputs[0]).shape, (core::Shape{1, 11, 12, 3}));
  const core::Attributes& conv = back.nodes[1].attrs;
  EXPECT_EQ(back.nodes[1].op, OpType::conv2d);
  EXPECT_EQ(conv.pad_top + conv.pad_bottom + conv.pad_left + conv.pad_right, 0);  // VALID
  EXPECT_EQ(conv.fused_activation, core::FusedActivation::relu6);
  // The depthwise conv's pads were SAME: no PAD, same pads, same (transposed back) weights.
  EXPECT_EQ(back.nodes[2].attrs.groups, 8);
  expect_same_attributes(g.nodes[1].attrs, back.nodes[2].attrs, "dw");
  EXPECT_TRUE(back.tensor(back.nodes[2].inputs[1]).data == g.tensor(g.nodes[1].inputs[1]).data);
  EXPECT_EQ(back.tensor(back.nodes[2].inputs[1]).quantization.axis, 0);
  EXPECT_EQ(back.nodes[5].attrs.keep_num_dims, false);

  std::mt19937 rng(11);
  std::uniform_int_distribution<int> value(-128, 127);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<std::uint8_t> input(9 * 9 * 3);
    for (auto& byte : input) byte = static_cast<std::uint8_t>(static_cast<std::int8_t>(value(rng)));
    const std::vector<std::uint8_t> expected = run_engine(g, input);
    ASSERT_EQ(expected.size(), 4u);
    EXPECT_TRUE(run_engine(back, input) == expected) << "trial " << trial;
  }
}

// C2f / SPPF in int8: split the channels in halves, max-pool one half 5x5 stride 1 with
// padding 2 (TFLite's SAME), concatenate. One quantization throughout, as the quantizer gives
// split and max_pool.
TEST(TfliteWriter, SplitAndPaddedPoolsRoundTripAndRunAlike) {
  core::Graph g;
  const int x = int8_activation(g, g.add_input("input", {1, 5, 5, 6}), 0.05f, 3);
  core::Attributes split;
  split.axis = -1;
  const std::vector<int> halves = g.add_node_with_outputs(OpType::split, "chunk", {x}, 2, split);
  for (int id : halves) int8_activation(g, id, 0.05f, 3);
  core::Attributes pool;
  pool.kernel_h = pool.kernel_w = 5;
  pool.pad_top = pool.pad_bottom = pool.pad_left = pool.pad_right = 2;
  const int pooled =
      int8_activation(g, g.add_node(OpType::max_pool, "maxpool", {halves[1]}, pool), 0.05f, 3);
  core::Attributes cat;
  cat.axis = -1;
  const int y =
      int8_activation(g, g.add_node(OpType::concat, "cat", {halves[0], pooled}, cat), 0.05f, 3);
  g.mark_output(y);

  const std::vector<std::uint8_t> bytes = write_tflite_buffer(g);
  const tflite::Model* model = tflite::GetModel(bytes.data());
  const tflite::Operator* op = model->subgraphs()->Get(0)->operators()->Get(0);
  EXPECT_EQ(model->operator_codes()->Get(op->opcode_index())->builtin_code(),
            tflite::BuiltinOperator::SPLIT);
  ASSERT_EQ(op->outputs()->size(), 2u);
  ASSERT_NE(op->builtin_options_as_SplitOptions(), nullptr);
  EXPECT_EQ(op->builtin_options_as_SplitOptions()->num_splits(), 2);
  // Input 0 is the axis (a constant int32 scalar holding 3), input 1 the data.
  EXPECT_EQ(op->inputs()->Get(1), x);
  const tflite::Tensor* axis = model->subgraphs()->Get(0)->tensors()->Get(op->inputs()->Get(0));
  EXPECT_EQ(axis->type(), tflite::TensorType::INT32);
  EXPECT_EQ(axis->shape()->size(), 0u);
  const auto* axis_data = model->buffers()->Get(axis->buffer())->data();
  ASSERT_EQ(axis_data->size(), 4u);
  std::int32_t axis_value = 0;
  std::memcpy(&axis_value, axis_data->data(), 4);
  EXPECT_EQ(axis_value, 3);
  const tflite::Operator* pool_op = model->subgraphs()->Get(0)->operators()->Get(1);
  EXPECT_EQ(pool_op->builtin_options_as_Pool2DOptions()->padding(), tflite::Padding::SAME);

  const core::Graph back = read_tflite_buffer(bytes, "split.tflite");
  ASSERT_EQ(back.nodes.size(), 3u);
  EXPECT_EQ(back.nodes[0].op, OpType::split);
  EXPECT_EQ(back.nodes[0].outputs, halves);
  EXPECT_EQ(back.nodes[0].attrs.axis, 3);
  expect_same_attributes(g.nodes[1].attrs, back.nodes[1].attrs, "maxpool");
  // What the reader produced comes back unchanged (the axis constant is reused).
  expect_same_graph(back, read_tflite_buffer(write_tflite_buffer(back), "again.tflite"));

  std::mt19937 rng(5);
  std::uniform_int_distribution<int> value(-128, 127);
  std::vector<std::uint8_t> input(5 * 5 * 6);
  for (auto& byte : input) byte = static_cast<std::uint8_t>(static_cast<std::int8_t>(value(rng)));
  const std::vector<std::uint8_t> expected = run_engine(g, input);
  EXPECT_TRUE(run_engine(back, input) == expected);
  // The first half is copied unchanged: channels 0..2 of every pixel.
  for (std::size_t p = 0; p < 25; ++p) {
    for (std::size_t c = 0; c < 3; ++c) EXPECT_EQ(expected[p * 6 + c], input[p * 6 + c]);
  }
}

// The lowering of an uneven adaptive pool in int8: SLICE (begin and size int32 constants,
// version 2), AVERAGE_POOL_2D and CONCATENATION, one quantization throughout.
TEST(TfliteWriter, SliceRoundTripsAndRunsAlike) {
  core::Graph g;
  const int x = int8_activation(g, g.add_input("input", {1, 6, 5, 2}), 0.05f, 3);
  core::Attributes a;
  a.slice_begin = {0, 1, 2, 0};
  a.slice_size = {1, 4, 3, 2};
  const int y = int8_activation(g, g.add_node(OpType::slice, "cut", {x}, a), 0.05f, 3);
  g.mark_output(y);

  const std::vector<std::uint8_t> bytes = write_tflite_buffer(g);
  const tflite::Model* model = tflite::GetModel(bytes.data());
  const tflite::Operator* op = model->subgraphs()->Get(0)->operators()->Get(0);
  const tflite::OperatorCode* code = model->operator_codes()->Get(op->opcode_index());
  EXPECT_EQ(code->builtin_code(), tflite::BuiltinOperator::SLICE);
  EXPECT_EQ(code->version(), 2);  // op_version.cc: int8 input
  ASSERT_EQ(op->inputs()->size(), 3u);
  EXPECT_EQ(op->inputs()->Get(0), x);
  const auto int32_values = [&](int index) {
    const tflite::Tensor* t = model->subgraphs()->Get(0)->tensors()->Get(op->inputs()->Get(index));
    EXPECT_EQ(t->type(), tflite::TensorType::INT32);
    const auto* data = model->buffers()->Get(t->buffer())->data();
    std::vector<std::int32_t> v(data->size() / 4);
    std::memcpy(v.data(), data->data(), data->size());
    return v;
  };
  EXPECT_EQ(int32_values(1), (std::vector<std::int32_t>{0, 1, 2, 0}));
  EXPECT_EQ(int32_values(2), (std::vector<std::int32_t>{1, 4, 3, 2}));

  const core::Graph back = read_tflite_buffer(bytes, "slice.tflite");
  ASSERT_EQ(back.nodes.size(), 1u);
  EXPECT_EQ(back.nodes[0].op, OpType::slice);
  expect_same_attributes(g.nodes[0].attrs, back.nodes[0].attrs, "cut");
  expect_same_graph(back, read_tflite_buffer(write_tflite_buffer(back), "again.tflite"));

  std::vector<std::uint8_t> input(6 * 5 * 2);
  for (std::size_t k = 0; k < input.size(); ++k) input[k] = static_cast<std::uint8_t>(k);
  const std::vector<std::uint8_t> out = run_engine(back, input);
  ASSERT_EQ(out.size(), 4u * 3u * 2u);
  // Row 1 + r, column 2 + c, channel ch of the [6, 5, 2] input.
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t ch = 0; ch < 2; ++ch)
        EXPECT_EQ(out[(r * 3 + c) * 2 + ch], input[((1 + r) * 5 + 2 + c) * 2 + ch]);
}

TEST(TfliteWriter, FileHasTfliteLayout) {
  const std::vector<std::uint8_t> bytes = write_tflite_buffer(odd_padding_graph());
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  ASSERT_TRUE(tflite::VerifyModelBuffer(verifier));
  EXPECT_EQ(std::memcmp(bytes.data() + 4, "TFL3", 4), 0);
  const tflite::Model* model = tflite::GetModel(bytes.data());
  EXPECT_EQ(model->version(), 3u);
  ASSERT_EQ(model->subgraphs()->size(), 1u);
  // Buffer 0 is empty; every buffer after it holds one constant's bytes.
  ASSERT_GT(model->buffers()->size(), 1u);
  EXPECT_TRUE(!model->buffers()->Get(0)->data() || model->buffers()->Get(0)->data()->size() == 0);
  // Operator codes are deduplicated: PAD, CONV_2D, DEPTHWISE_CONV_2D, MEAN, RESHAPE,
  // FULLY_CONNECTED, SOFTMAX.
  EXPECT_EQ(model->operator_codes()->size(), 7u);
  // Versions as TFLite's converter assigns them for int8 (tools/versioning/op_version.cc):
  // the loader of TFLite Micro refuses an operator version its kernel does not register.
  const std::map<tflite::BuiltinOperator, int> int8_version = {
      {tflite::BuiltinOperator::PAD, 2},
      {tflite::BuiltinOperator::CONV_2D, 3},
      {tflite::BuiltinOperator::DEPTHWISE_CONV_2D, 3},
      {tflite::BuiltinOperator::MEAN, 2},
      {tflite::BuiltinOperator::RESHAPE, 1},
      {tflite::BuiltinOperator::FULLY_CONNECTED, 4},
      {tflite::BuiltinOperator::SOFTMAX, 2}};
  for (const tflite::OperatorCode* code : *model->operator_codes()) {
    EXPECT_EQ(static_cast<int>(code->deprecated_builtin_code()),
              std::min(static_cast<int>(code->builtin_code()), 127));
    EXPECT_EQ(code->version(), int8_version.at(code->builtin_code()))
        << tflite::EnumNameBuiltinOperator(code->builtin_code());
  }
  const tflite::SubGraph* sub = model->subgraphs()->Get(0);
  const tflite::Operator* dw = sub->operators()->Get(2);
  ASSERT_NE(dw->builtin_options_as_DepthwiseConv2DOptions(), nullptr);
  EXPECT_EQ(dw->builtin_options_as_DepthwiseConv2DOptions()->depth_multiplier(), 1);
  EXPECT_EQ(dw->builtin_options_as_DepthwiseConv2DOptions()->padding(), tflite::Padding::SAME);
  const tflite::Tensor* filter =
      sub->tensors()->Get(static_cast<flatbuffers::uoffset_t>(dw->inputs()->Get(1)));
  ASSERT_EQ(filter->shape()->size(), 4u);
  EXPECT_EQ(filter->shape()->Get(0), 1);
  EXPECT_EQ(filter->shape()->Get(3), 8);
  EXPECT_EQ(filter->quantization()->quantized_dimension(), 3);
  // Constant data is 16-byte aligned within the file.
  for (const tflite::Buffer* buffer : *model->buffers()) {
    if (buffer->data() && buffer->data()->size() > 0) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer->data()->data()) % 16, 0u);
    }
  }
}

std::string write_error(const core::Graph& g) {
  try {
    write_tflite_buffer(g);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TfliteWriter, RejectsWhatTfliteCannotExpress) {
  {
    core::Graph g = odd_padding_graph();
    // A float graph: the same structure with float activations.
    for (core::Tensor& t : g.tensors) {
      if (!t.is_constant) t.dtype = core::DType::float32;
    }
    const std::string e = write_error(g);
    EXPECT_NE(e.find("node 0 'conv1' (conv2d)"), std::string::npos) << e;
    EXPECT_NE(e.find("int8"), std::string::npos) << e;
  }
  {
    core::Graph g;
    const int x = g.add_input("x", {1, 4, 4, 2});
    std::vector<float> ones(2, 1.0f);
    std::vector<int> stats;
    for (const char* s : {"gamma", "beta", "mean", "var"}) {
      stats.push_back(g.add_constant(std::string("bn.") + s, {2}, ones));
    }
    const int y = g.add_node(OpType::batch_norm, "bn", {x, stats[0], stats[1], stats[2], stats[3]});
    g.mark_output(y);
    const std::string e = write_error(g);
    EXPECT_NE(e.find("node 0 'bn' (batch_norm)"), std::string::npos) << e;
  }
  {
    core::Graph g;
    const int x = int8_activation(g, g.add_input("x", {1, 4, 4, 2}, core::DType::int8), 0.1f, 0);
    const int y = int8_activation(g, g.add_node(OpType::silu, "act", {x}), 0.1f, 0);
    g.mark_output(y);
    EXPECT_NE(write_error(g).find("node 0 'act' (silu)"), std::string::npos);
  }
  {
    core::Graph g;
    const int x = int8_activation(g, g.add_input("x", {1, 4, 4, 2}, core::DType::int8), 0.1f, 0);
    core::Attributes a;
    a.out_h = a.out_w = 2;
    const int y = int8_activation(g, g.add_node(OpType::adaptive_avg_pool, "ap", {x}, a), 0.1f, 0);
    g.mark_output(y);
    EXPECT_NE(write_error(g).find("node 0 'ap' (adaptive_avg_pool)"), std::string::npos);
  }
}

TEST(TfliteWriter, FailedWriteLeavesNoFile) {
  const std::string path = "/nonexistent-tinyscale-dir/model.tflite";
  EXPECT_THROW(write_tflite(odd_padding_graph(), path), Error);
  EXPECT_FALSE(std::filesystem::exists(path));

  // A successful write replaces the file completely and leaves no temporary beside it.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("tinyscale_tflite_writer_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string target = (dir / "model.tflite").string();
  { std::ofstream(target) << "old contents"; }
  write_tflite(odd_padding_graph(), target);
  EXPECT_TRUE(read_bytes(target) == write_tflite_buffer(odd_padding_graph()));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            1);
  // A failure (the target is a directory) leaves the old file and no temporary.
  const std::string blocked = (dir / "blocked").string();
  std::filesystem::create_directories(blocked + "/inner");
  EXPECT_THROW(write_tflite(odd_padding_graph(), blocked), Error);
  EXPECT_TRUE(std::filesystem::is_directory(blocked));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            2);
  std::filesystem::remove_all(dir);
}

TEST(TfliteWriter, MetadataBecomesModelMetadataAndSurvivesTheRoundTrip) {
  core::Graph g = odd_padding_graph();
  const std::vector<std::uint8_t> blob = {0x54, 0x53, 0x00, 0xff, 0x10};
  g.metadata.push_back({"tinyscale.clap_projection", blob});
  g.metadata.push_back({"empty", {}});
  const std::vector<std::uint8_t> bytes = write_tflite_buffer(g);

  const tflite::Model* model = tflite::GetModel(bytes.data());
  ASSERT_NE(model->metadata(), nullptr);
  ASSERT_EQ(model->metadata()->size(), 2u);
  const tflite::Metadata* first = model->metadata()->Get(0);
  EXPECT_EQ(first->name()->str(), "tinyscale.clap_projection");
  // Its own buffer, after the constants' (buffer 0 plus one per constant tensor).
  std::size_t constants = 0;
  for (const core::Tensor& t : g.tensors) constants += t.is_constant ? 1 : 0;
  EXPECT_GT(first->buffer(), constants);
  const auto* data = model->buffers()->Get(first->buffer())->data();
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(std::vector<std::uint8_t>(data->begin(), data->end()), blob);

  const core::Graph back = read_tflite_buffer(bytes, "meta.tflite");
  ASSERT_EQ(back.metadata.size(), 2u);
  EXPECT_EQ(back.metadata[0].name, "tinyscale.clap_projection");
  EXPECT_EQ(back.metadata[0].bytes, blob);
  EXPECT_EQ(back.metadata[1].name, "empty");
  EXPECT_TRUE(back.metadata[1].bytes.empty());
  // Read again and written again: the same file.
  EXPECT_TRUE(write_tflite_buffer(back) ==
              write_tflite_buffer(read_tflite_buffer(write_tflite_buffer(back), "again.tflite")));

  g.metadata.push_back({"", {1}});
  EXPECT_EQ(write_error(g), "write_tflite: metadata entry 2 has no name");
}

}  // namespace
}  // namespace tinyscale::exporter
