// Tests of export/tflite_reader: the MLPerf Tiny interop models (skipped without
// ../shared), small models built in memory with the generated flatbuffers API (every op
// mapping and error path), and corrupt files (truncated, bit-flipped, wrong identifier).
#include "export/tflite_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "export/tflite_schema.h"

namespace tinyscale::exporter {
namespace {

using core::OpType;
using core::Shape;
using tflite::BuiltinOperator;
using tflite::TensorType;

const std::string kInterop = std::string(TINYSCALE_SHARED_DIR) + "/interop/tflite";

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

#define SKIP_WITHOUT_INTEROP(model)                                               \
  if (!std::filesystem::exists(kInterop + "/" + model + "/model.tflite")) {       \
    GTEST_SKIP() << "interop fixture " << kInterop << "/" << model                \
                 << "/model.tflite is absent (no ../shared beside the checkout)"; \
  }

// The message of the tinyscale::Error that reading `bytes` throws ("" if it loads).
std::string read_error(const std::vector<std::uint8_t>& bytes,
                       const std::string& origin = "synthetic.tflite") {
  try {
    read_tflite_buffer(bytes, origin);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// "conv2d", "conv2d/g64" for grouped convolutions, one entry per node.
std::vector<std::string> op_sequence(const core::Graph& g) {
  std::vector<std::string> ops;
  for (const core::Node& n : g.nodes) {
    std::string s = core::op_name(n.op);
    if (n.op == OpType::conv2d && n.attrs.groups != 1) s += "/g" + std::to_string(n.attrs.groups);
    ops.push_back(s);
  }
  return ops;
}

// ---------------------------------------------------------------- in-memory models

template <typename T>
std::vector<std::uint8_t> raw(const std::vector<T>& values) {
  std::vector<std::uint8_t> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// Writes a one-subgraph TFLite model with the generated API, the way TFLite's converter
// lays it out (buffer 0 empty, one buffer per tensor).
class ModelBuilder {
 public:
  struct TensorSpec {
    std::string name;
    std::vector<int> shape;
    TensorType type = TensorType::FLOAT32;
    std::vector<std::uint8_t> data;
    std::vector<float> scales;
    std::vector<std::int64_t> zero_points;
    int quantized_dimension = 0;
  };
  struct CodeSpec {
    std::int8_t deprecated_code = 0;
    std::int32_t builtin_code = 0;
    int version = 1;
    std::string custom;
  };

  int tensor(TensorSpec spec) {
    tensors_.push_back(std::move(spec));
    return static_cast<int>(tensors_.size()) - 1;
  }
  int activation(const std::string& name, std::vector<int> shape,
                 TensorType type = TensorType::FLOAT32) {
    return tensor({name, std::move(shape), type, {}, {}, {}, 0});
  }
  int constant_i32(const std::string& name, std::vector<int> shape,
                   const std::vector<std::int32_t>& values) {
    return tensor({name, std::move(shape), TensorType::INT32, raw(values), {}, {}, 0});
  }
  int constant_f32(const std::string& name, std::vector<int> shape,
                   const std::vector<float>& values) {
    return tensor({name, std::move(shape), TensorType::FLOAT32, raw(values), {}, {}, 0});
  }

  // An operator whose code is written the way current converters do (both fields for
  // codes below 127).
  void op(BuiltinOperator code, std::vector<int> inputs, std::vector<int> outputs,
          tflite::BuiltinOptions type = tflite::BuiltinOptions::NONE,
          flatbuffers::Offset<void> options = 0, int op_version = 1) {
    const auto c = static_cast<std::int32_t>(code);
    op_with_code({static_cast<std::int8_t>(std::min(c, 127)), c, op_version, ""}, std::move(inputs),
                 std::move(outputs), type, options);
  }
  void op_with_code(CodeSpec code, std::vector<int> inputs, std::vector<int> outputs,
                    tflite::BuiltinOptions type = tflite::BuiltinOptions::NONE,
                    flatbuffers::Offset<void> options = 0) {
    codes_.push_back(std::move(code));
    ops_.push_back({static_cast<int>(codes_.size()) - 1, std::move(inputs), std::move(outputs),
                    type, options});
  }

  std::vector<std::uint8_t> finish(const std::vector<int>& inputs,
                                   const std::vector<int>& outputs) {
    std::vector<flatbuffers::Offset<tflite::Buffer>> buffers = {tflite::CreateBuffer(fbb)};
    std::vector<flatbuffers::Offset<tflite::Tensor>> tensors;
    for (const TensorSpec& t : tensors_) {
      fbb.ForceVectorAlignment(t.data.size(), 1, 16);
      const auto data = fbb.CreateVector(t.data);
      buffers.push_back(tflite::CreateBuffer(fbb, t.data.empty() ? 0 : data));
      flatbuffers::Offset<tflite::QuantizationParameters> q = 0;
      if (!t.scales.empty()) {
        q = tflite::CreateQuantizationParametersDirect(
            fbb, nullptr, nullptr, &t.scales, &t.zero_points, tflite::QuantizationDetails::NONE, 0,
            t.quantized_dimension);
      }
      tensors.push_back(tflite::CreateTensorDirect(fbb, &t.shape, t.type,
                                                   static_cast<std::uint32_t>(buffers.size() - 1),
                                                   t.name.c_str(), q));
    }
    std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes;
    for (const CodeSpec& c : codes_) {
      codes.push_back(tflite::CreateOperatorCodeDirect(
          fbb, c.deprecated_code, c.custom.empty() ? nullptr : c.custom.c_str(), c.version,
          static_cast<BuiltinOperator>(c.builtin_code)));
    }
    std::vector<flatbuffers::Offset<tflite::Operator>> ops;
    for (const OpSpec& o : ops_) {
      ops.push_back(tflite::CreateOperatorDirect(fbb, static_cast<std::uint32_t>(o.code), &o.inputs,
                                                 &o.outputs, o.type, o.options));
    }
    const auto subgraph =
        tflite::CreateSubGraphDirect(fbb, &tensors, &inputs, &outputs, &ops, "main");
    const std::vector<flatbuffers::Offset<tflite::SubGraph>> subgraphs = {subgraph};
    const auto model =
        tflite::CreateModelDirect(fbb, version, &codes, &subgraphs, "tinyscale test", &buffers);
    tflite::FinishModelBuffer(fbb, model);
    return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
  }

  flatbuffers::FlatBufferBuilder fbb;
  std::uint32_t version = 3;

 private:
  struct OpSpec {
    int code;
    std::vector<int> inputs;
    std::vector<int> outputs;
    tflite::BuiltinOptions type;
    flatbuffers::Offset<void> options;
  };
  std::vector<TensorSpec> tensors_;
  std::vector<CodeSpec> codes_;
  std::vector<OpSpec> ops_;
};

std::vector<float> iota_floats(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

// ---------------------------------------------------------------- interop models

TEST(TfliteReader, KwsModelInputOutputAndQuantization) {
  SKIP_WITHOUT_INTEROP("kws_ref_model");
  const core::Graph g = read_tflite(kInterop + "/kws_ref_model/model.tflite");
  EXPECT_EQ(g.tensors.size(), 35u);  // the file's tensors, none added
  ASSERT_EQ(g.inputs.size(), 1u);
  ASSERT_EQ(g.outputs.size(), 1u);
  const core::Tensor& in = g.tensor(g.inputs[0]);
  EXPECT_EQ(g.inputs[0], 0);
  EXPECT_EQ(in.shape, (Shape{1, 49, 10, 1}));
  EXPECT_EQ(in.dtype, core::DType::int8);
  EXPECT_FALSE(in.is_constant);
  ASSERT_EQ(in.quantization.scales.size(), 1u);
  EXPECT_FLOAT_EQ(in.quantization.scales[0], 0.584702909f);
  EXPECT_EQ(in.quantization.zero_points[0], 83);
  const core::Tensor& out = g.tensor(g.outputs[0]);
  EXPECT_EQ(g.outputs[0], 34);
  EXPECT_EQ(out.shape, (Shape{1, 12}));
  ASSERT_EQ(out.quantization.scales.size(), 1u);
  EXPECT_FLOAT_EQ(out.quantization.scales[0], 1.0f / 256.0f);
  EXPECT_EQ(out.quantization.zero_points[0], -128);
}

TEST(TfliteReader, KwsOpSequence) {
  SKIP_WITHOUT_INTEROP("kws_ref_model");
  const core::Graph g = read_tflite(kInterop + "/kws_ref_model/model.tflite");
  const std::vector<std::string> expected = {"conv2d", "conv2d/g64", "conv2d",  "conv2d/g64",
                                             "conv2d", "conv2d/g64", "conv2d",  "conv2d/g64",
                                             "conv2d", "avg_pool",   "reshape", "fully_connected",
                                             "softmax"};
  EXPECT_EQ(op_sequence(g), expected);
  for (std::size_t n = 0; n < 9; ++n) {
    EXPECT_EQ(g.nodes[n].attrs.fused_activation, core::FusedActivation::relu) << n;
    EXPECT_EQ(g.nodes[n].inputs.size(), 3u) << n;  // with bias
  }
  const core::Node& pool = g.nodes[9];
  EXPECT_EQ(pool.attrs.kernel_h, 25);
  EXPECT_EQ(pool.attrs.kernel_w, 5);
  EXPECT_EQ(pool.attrs.pad_top + pool.attrs.pad_bottom + pool.attrs.pad_left + pool.attrs.pad_right,
            0);                                         // VALID
  EXPECT_EQ(g.nodes[10].inputs, std::vector<int>{31});  // the shape constant is no input
  EXPECT_EQ(g.nodes[10].attrs.new_shape, (Shape{1, 64}));
  EXPECT_FALSE(g.nodes[11].attrs.keep_num_dims);
  EXPECT_EQ(g.nodes[11].attrs.fused_activation, core::FusedActivation::none);
  EXPECT_FLOAT_EQ(g.nodes[12].attrs.softmax_beta, 1.0f);
  EXPECT_EQ(g.nodes[12].outputs, std::vector<int>{34});
  EXPECT_NE(core::dump(g).find("avg_pool"), std::string::npos);
}

TEST(TfliteReader, KwsSamePaddingAmounts) {
  SKIP_WITHOUT_INTEROP("kws_ref_model");
  const core::Graph g = read_tflite(kInterop + "/kws_ref_model/model.tflite");
  // First conv: 49x10 input, 10x4 filter, stride 2, SAME -> 25x5 output;
  // height needs (25-1)*2 + 10 - 49 = 9 rows (4 before, 5 after), width (5-1)*2 + 4 - 10 = 2.
  const core::Attributes& a = g.nodes[0].attrs;
  EXPECT_EQ(a.kernel_h, 10);
  EXPECT_EQ(a.kernel_w, 4);
  EXPECT_EQ(a.stride_h, 2);
  EXPECT_EQ(a.stride_w, 2);
  EXPECT_EQ(a.pad_top, 4);
  EXPECT_EQ(a.pad_bottom, 5);
  EXPECT_EQ(a.pad_left, 1);
  EXPECT_EQ(a.pad_right, 1);
  EXPECT_EQ(g.tensor(g.nodes[0].outputs[0]).shape, (Shape{1, 25, 5, 64}));
  // Depthwise 3x3 stride 1 SAME: one on every side.
  const core::Attributes& d = g.nodes[1].attrs;
  EXPECT_EQ(d.groups, 64);
  EXPECT_EQ(d.pad_top, 1);
  EXPECT_EQ(d.pad_bottom, 1);
  EXPECT_EQ(d.pad_left, 1);
  EXPECT_EQ(d.pad_right, 1);
}

TEST(TfliteReader, KwsDepthwiseWeightsTransposedInPlace) {
  SKIP_WITHOUT_INTEROP("kws_ref_model");
  const core::Graph g = read_tflite(kInterop + "/kws_ref_model/model.tflite");
  // Tensor 5 is the first depthwise filter, [1,3,3,64] in the file; TFLite Micro's dump of
  // that tensor is the file's bytes in the file's layout.
  const std::vector<std::uint8_t> file_layout =
      read_bytes(kInterop + "/kws_ref_model/tensors_uniform/t5.bin");
  ASSERT_EQ(file_layout.size(), 576u);
  const core::Tensor& w = g.tensor(5);
  EXPECT_EQ(g.nodes[1].inputs[1], 5);
  EXPECT_EQ(w.shape, (Shape{64, 3, 3, 1}));
  ASSERT_EQ(w.data.size(), 576u);
  // One weight spelled out: channel 10, row 2, column 1.
  EXPECT_EQ(w.data[(10 * 3 + 2) * 3 + 1], file_layout[(2 * 3 + 1) * 64 + 10]);
  for (std::size_t c = 0; c < 64; ++c) {
    for (std::size_t y = 0; y < 3; ++y) {
      for (std::size_t x = 0; x < 3; ++x) {
        ASSERT_EQ(w.data[(c * 3 + y) * 3 + x], file_layout[(y * 3 + x) * 64 + c]);
      }
    }
  }
  EXPECT_EQ(w.quantization.axis, 0);
  EXPECT_EQ(w.quantization.scales.size(), 64u);
  EXPECT_FALSE(std::equal(file_layout.begin(), file_layout.end(), w.data.begin()));
}

TEST(TfliteReader, KwsConstantsMatchTfliteMicroTensorDump) {
  SKIP_WITHOUT_INTEROP("kws_ref_model");
  const core::Graph g = read_tflite(kInterop + "/kws_ref_model/model.tflite");
  EXPECT_EQ(g.tensor(17).data.size(), 2560u);  // conv filter 64x10x4x1 int8
  EXPECT_EQ(g.tensor(18).data.size(), 4096u);  // pointwise 64x1x1x64 int8
  EXPECT_EQ(g.tensor(3).data.size(), 256u);    // bias 64 int32
  EXPECT_EQ(g.tensor(16).data.size(), 768u);   // dense 12x64 int8
  EXPECT_EQ(g.tensor(2).data.size(), 8u);      // reshape target [2] int32
  int constants = 0;
  for (std::size_t i = 0; i < g.tensors.size(); ++i) {
    const core::Tensor& t = g.tensors[i];
    if (!t.is_constant) {
      EXPECT_TRUE(t.data.empty()) << i;
      continue;
    }
    ++constants;
    if (i == 5 || i == 8 || i == 11 || i == 14) continue;  // depthwise, transposed
    EXPECT_EQ(t.data, read_bytes(kInterop + "/kws_ref_model/tensors_uniform/t" + std::to_string(i) +
                                 ".bin"))
        << "tensor " << i;
  }
  EXPECT_EQ(constants, 21);  // 10 biases, 4 depthwise, 5 conv, 1 dense, 1 shape
  EXPECT_EQ(g.tensor(17).quantization.scales.size(), 64u);  // per-channel conv filter
  EXPECT_EQ(g.tensor(17).quantization.axis, 0);
}

TEST(TfliteReader, Ad01AutoencoderLoads) {
  SKIP_WITHOUT_INTEROP("ad01_int8");
  const core::Graph g = read_tflite(kInterop + "/ad01_int8/model.tflite");
  EXPECT_EQ(g.tensors.size(), 31u);
  EXPECT_EQ(op_sequence(g), std::vector<std::string>(10, "fully_connected"));
  for (std::size_t n = 0; n < 10; ++n) {
    EXPECT_EQ(g.nodes[n].attrs.fused_activation,
              n < 9 ? core::FusedActivation::relu : core::FusedActivation::none)
        << n;
  }
  const core::Tensor& in = g.tensor(g.inputs[0]);
  EXPECT_EQ(in.shape, (Shape{1, 640}));
  EXPECT_FLOAT_EQ(in.quantization.scales[0], 0.391015232f);
  EXPECT_EQ(in.quantization.zero_points[0], 89);
  const core::Tensor& out = g.tensor(g.outputs[0]);
  EXPECT_EQ(out.shape, (Shape{1, 640}));
  EXPECT_FLOAT_EQ(out.quantization.scales[0], 0.364498466f);
  EXPECT_EQ(out.quantization.zero_points[0], 96);
  EXPECT_EQ(g.tensor(11).shape, (Shape{128, 640}));
  EXPECT_EQ(g.tensor(11).data.size(), 81920u);
  EXPECT_EQ(g.tensor(5).data.size(), 32u);  // bias [8] int32
}

// ---------------------------------------------------------------- mappings

TEST(TfliteReader, ConvSamePaddingAsymmetricAndDilated) {
  ModelBuilder b;
  const int x = b.activation("x", {1, 7, 8, 3});
  const int w = b.constant_f32("w", {4, 3, 3, 3}, iota_floats(108));
  const int y = b.activation("y", {1, 4, 4, 4});
  const int w2 = b.constant_f32("w2", {2, 3, 3, 4}, iota_floats(72));
  const int z = b.activation("z", {1, 4, 4, 2});
  b.op(BuiltinOperator::CONV_2D, {x, w, -1}, {y}, tflite::BuiltinOptions::Conv2DOptions,
       tflite::CreateConv2DOptions(b.fbb, tflite::Padding::SAME, 2, 2).Union());
  b.op(BuiltinOperator::CONV_2D, {y, w2}, {z}, tflite::BuiltinOptions::Conv2DOptions,
       tflite::CreateConv2DOptions(b.fbb, tflite::Padding::SAME, 1, 1,
                                   tflite::ActivationFunctionType::RELU6, 2, 2)
           .Union());
  const core::Graph g = read_tflite_buffer(b.finish({x}, {z}), "conv.tflite");
  ASSERT_EQ(g.nodes.size(), 2u);
  const core::Attributes& a = g.nodes[0].attrs;
  // height 7 -> 4: (4-1)*2 + 3 - 7 = 2 -> 1 + 1; width 8 -> 4: (4-1)*2 + 3 - 8 = 1 -> 0 + 1.
  EXPECT_EQ(a.pad_top, 1);
  EXPECT_EQ(a.pad_bottom, 1);
  EXPECT_EQ(a.pad_left, 0);
  EXPECT_EQ(a.pad_right, 1);
  EXPECT_EQ(g.nodes[0].inputs.size(), 2u);  // bias index -1 is dropped
  const core::Attributes& d = g.nodes[1].attrs;
  // 4 -> 4 with a 3x3 window dilated by 2 (span 5): 4 rows of padding, 2 + 2.
  EXPECT_EQ(d.dilation_h, 2);
  EXPECT_EQ(d.pad_top, 2);
  EXPECT_EQ(d.pad_bottom, 2);
  EXPECT_EQ(d.pad_left, 2);
  EXPECT_EQ(d.pad_right, 2);
  EXPECT_EQ(d.fused_activation, core::FusedActivation::relu6);
}

TEST(TfliteReader, DepthwiseMultiplierTransposeAndQuantizationAxis) {
  ModelBuilder b;
  const int x = b.activation("x", {1, 3, 3, 2}, TensorType::INT8);
  std::vector<std::int8_t> filter(16);
  for (std::size_t i = 0; i < 16; ++i) filter[i] = static_cast<std::int8_t>(i);
  const int w = b.tensor({"w",
                          {1, 2, 2, 4},
                          TensorType::INT8,
                          raw(filter),
                          {0.1f, 0.2f, 0.3f, 0.4f},
                          {0, 0, 0, 0},
                          3});
  const int y = b.activation("y", {1, 2, 2, 4}, TensorType::INT8);
  b.op(BuiltinOperator::DEPTHWISE_CONV_2D, {x, w}, {y},
       tflite::BuiltinOptions::DepthwiseConv2DOptions,
       tflite::CreateDepthwiseConv2DOptions(b.fbb, tflite::Padding::VALID, 1, 1, 2).Union());
  const core::Graph g = read_tflite_buffer(b.finish({x}, {y}), "dw.tflite");
  const core::Tensor& t = g.tensor(w);
  EXPECT_EQ(g.nodes[0].attrs.groups, 2);
  EXPECT_EQ(t.shape, (Shape{4, 2, 2, 1}));
  // file [0, y, x, c] = (y*2 + x)*4 + c  ->  tinyscale [c, y, x, 0]
  for (int c = 0; c < 4; ++c) {
    for (int yy = 0; yy < 2; ++yy) {
      for (int xx = 0; xx < 2; ++xx) {
        EXPECT_EQ(t.values<std::int8_t>()[static_cast<std::size_t>((c * 2 + yy) * 2 + xx)],
                  (yy * 2 + xx) * 4 + c);
      }
    }
  }
  EXPECT_EQ(t.quantization.axis, 0);
  EXPECT_FLOAT_EQ(t.quantization.scales[3], 0.4f);
}

// One model with every supported operator besides the convolutions, in a chain.
std::vector<std::uint8_t> every_op_model() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int pads = b.constant_i32("paddings", {4, 2}, {0, 0, 1, 2, 3, 4, 0, 0});
  const int padded = b.activation("padded", {1, 7, 11, 2});
  const int pooled = b.activation("pooled", {1, 4, 4, 2});
  const int maxed = b.activation("maxed", {1, 4, 4, 2});
  const int summed = b.activation("summed", {1, 4, 4, 2});
  const int scaled = b.activation("scaled", {1, 4, 4, 2});
  const int joined = b.activation("joined", {1, 4, 4, 4});
  const int relu = b.activation("relu", {1, 4, 4, 4});
  const int relu6 = b.activation("relu6", {1, 4, 4, 4});
  const int sig = b.activation("sig", {1, 4, 4, 4});
  const int th = b.activation("th", {1, 4, 4, 4});
  const int leaky = b.activation("leaky", {1, 4, 4, 4});
  const int hs = b.activation("hs", {1, 4, 4, 4});
  const int size = b.constant_i32("size", {2}, {8, 12});
  const int resized = b.activation("resized", {1, 8, 12, 4});
  const int axes = b.constant_i32("axes", {2}, {2, 1});
  const int mean = b.activation("mean", {1, 1, 1, 4});
  const int shape = b.constant_i32("shape", {2}, {1, 4});
  const int flat = b.activation("flat", {1, 4});
  const int fc_w = b.constant_f32("fc_w", {3, 4}, iota_floats(12));
  const int fc_b = b.constant_f32("fc_b", {3}, iota_floats(3));
  const int fc = b.activation("fc", {1, 3});
  const int prob = b.activation("prob", {1, 3});
  const int q = b.tensor({"q", {1, 3}, TensorType::INT8, {}, {1.0f / 256}, {-128}, 0});
  const int dq = b.activation("dq", {1, 3});
  using O = tflite::BuiltinOptions;
  auto& f = b.fbb;
  b.op(BuiltinOperator::PAD, {x, pads}, {padded}, O::PadOptions,
       tflite::CreatePadOptions(f).Union());
  b.op(BuiltinOperator::AVERAGE_POOL_2D, {padded}, {pooled}, O::Pool2DOptions,
       tflite::CreatePool2DOptions(f, tflite::Padding::VALID, 2, 1, 5, 4).Union());
  b.op(BuiltinOperator::MAX_POOL_2D, {x}, {maxed}, O::Pool2DOptions,
       tflite::CreatePool2DOptions(f, tflite::Padding::SAME, 1, 1, 3, 3).Union());
  b.op(BuiltinOperator::ADD, {pooled, maxed}, {summed}, O::AddOptions,
       tflite::CreateAddOptions(f, tflite::ActivationFunctionType::RELU).Union());
  b.op(BuiltinOperator::MUL, {summed, x}, {scaled});
  b.op(BuiltinOperator::CONCATENATION, {summed, scaled}, {joined}, O::ConcatenationOptions,
       tflite::CreateConcatenationOptions(f, 3).Union());
  b.op(BuiltinOperator::RELU, {joined}, {relu});
  b.op(BuiltinOperator::RELU6, {relu}, {relu6});
  b.op(BuiltinOperator::LOGISTIC, {relu6}, {sig});
  b.op(BuiltinOperator::TANH, {sig}, {th});
  b.op(BuiltinOperator::LEAKY_RELU, {th}, {leaky}, O::LeakyReluOptions,
       tflite::CreateLeakyReluOptions(f, 0.125f).Union());
  b.op(BuiltinOperator::HARD_SWISH, {leaky}, {hs});
  b.op(BuiltinOperator::RESIZE_NEAREST_NEIGHBOR, {hs, size}, {resized},
       O::ResizeNearestNeighborOptions,
       tflite::CreateResizeNearestNeighborOptions(f, false, true).Union());
  b.op(BuiltinOperator::MEAN, {resized, axes}, {mean}, O::ReducerOptions,
       tflite::CreateReducerOptions(f, true).Union());
  b.op(BuiltinOperator::RESHAPE, {mean, shape}, {flat});
  b.op(
      BuiltinOperator::FULLY_CONNECTED, {flat, fc_w, fc_b}, {fc}, O::FullyConnectedOptions,
      tflite::CreateFullyConnectedOptions(f, tflite::ActivationFunctionType::NONE,
                                          tflite::FullyConnectedOptionsWeightsFormat::DEFAULT, true)
          .Union());
  b.op(BuiltinOperator::SOFTMAX, {fc}, {prob}, O::SoftmaxOptions,
       tflite::CreateSoftmaxOptions(f, 0.5f).Union());
  b.op(BuiltinOperator::QUANTIZE, {prob}, {q});
  b.op(BuiltinOperator::DEQUANTIZE, {q}, {dq});
  return b.finish({x}, {dq});
}

int tensor_id(const core::Graph& g, const std::string& name) {
  for (std::size_t i = 0; i < g.tensors.size(); ++i) {
    if (g.tensors[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

TEST(TfliteReader, EveryOtherSupportedOperator) {
  const core::Graph g = read_tflite_buffer(every_op_model(), "all.tflite");
  const int x = tensor_id(g, "x");
  const int hs = tensor_id(g, "hs");
  const int resized = tensor_id(g, "resized");
  const int q = tensor_id(g, "q");

  const std::vector<std::string> expected = {"pad",
                                             "avg_pool",
                                             "max_pool",
                                             "add",
                                             "mul",
                                             "concat",
                                             "relu",
                                             "clip",
                                             "sigmoid",
                                             "tanh",
                                             "leaky_relu",
                                             "hard_swish",
                                             "resize_nearest",
                                             "global_avg_pool",
                                             "reshape",
                                             "fully_connected",
                                             "softmax",
                                             "quantize",
                                             "dequantize"};
  EXPECT_EQ(op_sequence(g), expected);
  const auto& n = g.nodes;
  EXPECT_EQ(n[0].inputs, std::vector<int>{x});  // paddings consumed as attributes
  EXPECT_EQ(n[0].attrs.pad_top, 1);
  EXPECT_EQ(n[0].attrs.pad_bottom, 2);
  EXPECT_EQ(n[0].attrs.pad_left, 3);
  EXPECT_EQ(n[0].attrs.pad_right, 4);
  EXPECT_EQ(n[1].attrs.kernel_h, 4);  // filter_height
  EXPECT_EQ(n[1].attrs.kernel_w, 5);
  EXPECT_EQ(n[1].attrs.stride_w, 2);
  EXPECT_EQ(n[2].attrs.pad_top, 1);
  EXPECT_EQ(n[2].attrs.pad_right, 1);
  EXPECT_EQ(n[3].attrs.fused_activation, core::FusedActivation::relu);
  EXPECT_EQ(n[5].attrs.axis, 3);
  EXPECT_FLOAT_EQ(n[7].attrs.clip_min, 0.0f);
  EXPECT_FLOAT_EQ(n[7].attrs.clip_max, 6.0f);
  EXPECT_FLOAT_EQ(n[10].attrs.leaky_alpha, 0.125f);
  EXPECT_EQ(n[12].inputs, std::vector<int>{hs});
  EXPECT_EQ(n[12].attrs.scale_h, 2);
  EXPECT_EQ(n[12].attrs.scale_w, 3);
  EXPECT_EQ(n[13].inputs, std::vector<int>{resized});
  EXPECT_EQ(n[14].attrs.new_shape, (Shape{1, 4}));
  EXPECT_TRUE(n[15].attrs.keep_num_dims);
  EXPECT_EQ(n[15].inputs.size(), 3u);
  EXPECT_FLOAT_EQ(n[16].attrs.softmax_beta, 0.5f);
  EXPECT_EQ(g.tensor(q).dtype, core::DType::int8);
  EXPECT_NO_THROW(g.validate());
}

TEST(TfliteReader, BuiltinCodeTakesTheLargerOfBothFields) {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  const int y = b.activation("y", {1, 4});
  const int z = b.activation("z", {1, 4});
  const int u = b.activation("u", {1, 4});
  // Old converter: only the int8 field. New converter, code >= 127: placeholder 127 in the
  // int8 field, the real code in the int32 field.
  b.op_with_code({static_cast<std::int8_t>(BuiltinOperator::HARD_SWISH), 0, 1, ""}, {x}, {y});
  b.op_with_code({0, static_cast<std::int32_t>(BuiltinOperator::RELU), 1, ""}, {y}, {z});
  b.op_with_code({127, static_cast<std::int32_t>(BuiltinOperator::GELU), 1, ""}, {z}, {u});
  const std::string message = read_error(b.finish({x}, {u}), "codes.tflite");
  EXPECT_EQ(message, std::string("codes.tflite: operator 2 is GELU (version 1), which tinyscale "
                                 "cannot run; supported: ") +
                         tflite_supported_operators());

  ModelBuilder ok;
  const int a = ok.activation("a", {1, 4});
  const int c = ok.activation("c", {1, 4});
  const int d = ok.activation("d", {1, 4});
  ok.op_with_code({static_cast<std::int8_t>(BuiltinOperator::HARD_SWISH), 0, 1, ""}, {a}, {c});
  ok.op_with_code({0, static_cast<std::int32_t>(BuiltinOperator::RELU), 1, ""}, {c}, {d});
  const core::Graph g = read_tflite_buffer(ok.finish({a}, {d}), "codes.tflite");
  EXPECT_EQ(op_sequence(g), (std::vector<std::string>{"hard_swish", "relu"}));
}

// ---------------------------------------------------------------- rejected content

TEST(TfliteReader, UnsupportedAndCustomOperatorsAreNamed) {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  const int y = b.activation("y", {1, 4});
  const int z = b.activation("z", {1, 4});
  b.op(BuiltinOperator::RELU, {x}, {y});
  b.op(BuiltinOperator::SQUARED_DIFFERENCE, {y, x}, {z}, tflite::BuiltinOptions::NONE, 0, 2);
  const std::string message = read_error(b.finish({x}, {z}), "model.tflite");
  EXPECT_EQ(message.rfind("model.tflite: operator 1 is SQUARED_DIFFERENCE (version 2), which "
                          "tinyscale cannot run; supported: CONV_2D, DEPTHWISE_CONV_2D, ",
                          0),
            0u)
      << message;

  ModelBuilder c;
  const int cx = c.activation("x", {1, 4});
  const int cy = c.activation("y", {1, 4});
  c.op_with_code({32, 32, 3, "TFLite_Detection_PostProcess"}, {cx}, {cy});
  EXPECT_NE(read_error(c.finish({cx}, {cy}))
                .find("operator 0 is custom op 'TFLite_Detection_PostProcess' (version 3)"),
            std::string::npos);
}

// A model with one conv (1x1, float) whose operator code says `conv_version`, then a RELU
// whose code says `relu_version`.
std::vector<std::uint8_t> versioned_model(int conv_version, int relu_version) {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int w = b.constant_f32("w", {3, 1, 1, 2}, iota_floats(6));
  const int y = b.activation("y", {1, 4, 4, 3});
  const int z = b.activation("z", {1, 4, 4, 3});
  b.op(BuiltinOperator::CONV_2D, {x, w}, {y}, tflite::BuiltinOptions::Conv2DOptions,
       tflite::CreateConv2DOptions(b.fbb, tflite::Padding::SAME, 1, 1).Union(), conv_version);
  b.op(BuiltinOperator::RELU, {y}, {z}, tflite::BuiltinOptions::NONE, 0, relu_version);
  return b.finish({x}, {z});
}

TEST(TfliteReader, OperatorVersionBeyondTheKernelIsRefused) {
  // The highest versions the kernels implement load: CONV_2D 6 (grouped), RELU 2 (int8).
  EXPECT_EQ(read_error(versioned_model(6, 2)), "");
  EXPECT_EQ(read_error(versioned_model(1, 1)), "");
  // CONV_2D 7 is TFLite's int4-filter convolution, RELU 3 its int16 RELU: named, with the
  // operator index, the version found and the versions tinyscale implements.
  EXPECT_EQ(read_error(versioned_model(7, 2), "v.tflite"),
            "v.tflite: operator 0 (CONV_2D): version 7 is not supported; tinyscale's kernel "
            "implements versions 1..6 of CONV_2D");
  EXPECT_EQ(read_error(versioned_model(3, 3), "v.tflite"),
            "v.tflite: operator 1 (RELU): version 3 is not supported; tinyscale's kernel "
            "implements versions 1..2 of RELU");
  // Version 0 does not exist (TFLite's versions start at 1).
  EXPECT_NE(read_error(versioned_model(0, 1)).find("operator 0 (CONV_2D): version 0 is not"),
            std::string::npos);
}

TEST(TfliteReader, TensorListedTwiceAsSubgraphInputOrOutputIsRefused) {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  const int y = b.activation("y", {1, 4});
  const int z = b.activation("z", {1, 4});
  b.op(BuiltinOperator::ADD, {x, y}, {z});
  const std::vector<std::uint8_t> twice_in = b.finish({x, y, x}, {z});
  EXPECT_EQ(read_error(twice_in, "d.tflite"),
            "d.tflite: subgraph input list names tensor 0 'x' twice (positions 0 and 2); each "
            "tensor may appear once");

  ModelBuilder c;
  const int cx = c.activation("x", {1, 4});
  const int cy = c.activation("y", {1, 4});
  c.op(BuiltinOperator::RELU, {cx}, {cy});
  EXPECT_EQ(read_error(c.finish({cx}, {cy, cy}), "d.tflite"),
            "d.tflite: subgraph output list names tensor 1 'y' twice (positions 0 and 1); each "
            "tensor may appear once");
}

struct Rejection {
  const char* what;
  std::vector<std::uint8_t> (*build)();
  const char* expected;  // a piece of the message
};

std::vector<std::uint8_t> bad_tensor_index() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  const int y = b.activation("y", {1, 4});
  b.op(BuiltinOperator::RELU, {7}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> missing_required_input() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  const int y = b.activation("y", {1, 4});
  b.op(BuiltinOperator::FULLY_CONNECTED, {x, -1}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> wrong_buffer_size() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  const int w = b.tensor({"w", {3, 4}, TensorType::FLOAT32, raw(iota_floats(11)), {}, {}, 0});
  const int y = b.activation("y", {1, 3});
  b.op(BuiltinOperator::FULLY_CONNECTED, {x, w}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> wrong_scale_count() {
  ModelBuilder b;
  const int x = b.tensor({"x", {1, 4, 4, 3}, TensorType::INT8, {}, {0.5f, 0.5f}, {0, 0}, 3});
  const int y = b.activation("y", {1, 4, 4, 3}, TensorType::INT8);
  b.op(BuiltinOperator::RELU, {x}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> int64_tensor() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4}, TensorType::INT64);
  const int y = b.activation("y", {1, 4}, TensorType::INT64);
  b.op(BuiltinOperator::RELU, {x}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> zero_dimension() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 0});
  const int y = b.activation("y", {1, 0});
  b.op(BuiltinOperator::RELU, {x}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> tanh_fused() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  const int y = b.activation("y", {1, 4});
  b.op(BuiltinOperator::ADD, {x, x}, {y}, tflite::BuiltinOptions::AddOptions,
       tflite::CreateAddOptions(b.fbb, tflite::ActivationFunctionType::TANH).Union());
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> mean_over_height() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int axes = b.constant_i32("axes", {1}, {1});
  const int y = b.activation("y", {1, 1, 4, 2});
  b.op(BuiltinOperator::MEAN, {x, axes}, {y}, tflite::BuiltinOptions::ReducerOptions,
       tflite::CreateReducerOptions(b.fbb, true).Union());
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> pad_channels() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int p = b.constant_i32("p", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 2});
  const int y = b.activation("y", {1, 6, 6, 4});
  b.op(BuiltinOperator::PAD, {x, p}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> resize_align_corners() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int s = b.constant_i32("s", {2}, {8, 8});
  const int y = b.activation("y", {1, 8, 8, 2});
  b.op(BuiltinOperator::RESIZE_NEAREST_NEIGHBOR, {x, s}, {y},
       tflite::BuiltinOptions::ResizeNearestNeighborOptions,
       tflite::CreateResizeNearestNeighborOptions(b.fbb, true, false).Union());
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> resize_fractional() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int s = b.constant_i32("s", {2}, {6, 8});
  const int y = b.activation("y", {1, 6, 8, 2});
  b.op(BuiltinOperator::RESIZE_NEAREST_NEIGHBOR, {x, s}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> wrong_output_shape() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int w = b.constant_f32("w", {3, 1, 1, 2}, iota_floats(6));
  const int y = b.activation("y", {1, 4, 4, 5});
  b.op(BuiltinOperator::CONV_2D, {x, w}, {y}, tflite::BuiltinOptions::Conv2DOptions,
       tflite::CreateConv2DOptions(b.fbb, tflite::Padding::VALID, 1, 1).Union());
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> conv_without_options() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int w = b.constant_f32("w", {3, 1, 1, 2}, iota_floats(6));
  const int y = b.activation("y", {1, 4, 4, 3});
  b.op(BuiltinOperator::CONV_2D, {x, w}, {y});
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> zero_stride() {
  ModelBuilder b;
  const int x = b.activation("x", {1, 4, 4, 2});
  const int y = b.activation("y", {1, 2, 2, 2});
  b.op(BuiltinOperator::MAX_POOL_2D, {x}, {y}, tflite::BuiltinOptions::Pool2DOptions,
       tflite::CreatePool2DOptions(b.fbb, tflite::Padding::VALID, 0, 2, 2, 2).Union());
  return b.finish({x}, {y});
}
std::vector<std::uint8_t> schema_version_2() {
  ModelBuilder b;
  b.version = 2;
  const int x = b.activation("x", {1, 4});
  return b.finish({x}, {x});
}
std::vector<std::uint8_t> no_subgraph() {
  flatbuffers::FlatBufferBuilder fbb;
  tflite::FinishModelBuffer(fbb, tflite::CreateModel(fbb, 3));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}
std::vector<std::uint8_t> bad_opcode_index() {
  // An operator pointing at code 5 of 1.
  flatbuffers::FlatBufferBuilder fbb;
  const std::vector<int> in = {0}, out = {1};
  const std::vector<int> shape = {1, 4};
  const std::vector<flatbuffers::Offset<tflite::Tensor>> tensors = {
      tflite::CreateTensorDirect(fbb, &shape, TensorType::FLOAT32, 0, "x"),
      tflite::CreateTensorDirect(fbb, &shape, TensorType::FLOAT32, 0, "y")};
  const std::vector<flatbuffers::Offset<tflite::Operator>> ops = {
      tflite::CreateOperatorDirect(fbb, 5, &in, &out)};
  const std::vector<flatbuffers::Offset<tflite::SubGraph>> subgraphs = {
      tflite::CreateSubGraphDirect(fbb, &tensors, &in, &out, &ops)};
  const std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes = {
      tflite::CreateOperatorCode(fbb, 19, 0, 1, BuiltinOperator::RELU)};
  const std::vector<flatbuffers::Offset<tflite::Buffer>> buffers = {tflite::CreateBuffer(fbb)};
  tflite::FinishModelBuffer(
      fbb, tflite::CreateModelDirect(fbb, 3, &codes, &subgraphs, nullptr, &buffers));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(TfliteReader, RejectsBadContentWithNamedMessages) {
  const std::vector<Rejection> cases = {
      {"tensor index", bad_tensor_index,
       "m.tflite: operator 0 (RELU): input refers to tensor 7, but subgraph 0 has 2 tensors"},
      {"missing input", missing_required_input,
       "operator 0 (FULLY_CONNECTED): input 1 (weights) is missing"},
      {"buffer size", wrong_buffer_size,
       "tensor 1 'w' has buffer 2 of 44 bytes, but shape 3x4 of float32 needs 48"},
      {"scale count", wrong_scale_count, "tensor 0 'x' has 2 quantization scales"},
      {"dtype", int64_tensor, "tensor 0 'x' has type INT64"},
      {"zero dim", zero_dimension, "tensor 0 'x' has dimension 0"},
      {"fused tanh", tanh_fused, "operator 0 (ADD): fused activation TANH is not supported"},
      {"mean", mean_over_height, "global average pooling"},
      {"pad", pad_channels, "operator 0 (PAD): paddings [0, 0, 1, 1, 1, 1, 0, 2]"},
      {"align corners", resize_align_corners, "align_corners true is not supported"},
      {"fractional resize", resize_fractional, "not an integer upscaling of 4x4"},
      {"output shape", wrong_output_shape, "the converted graph is invalid: node 0 'y' (conv2d)"},
      {"options", conv_without_options, "operator 0 (CONV_2D): has no Conv2DOptions"},
      {"stride", zero_stride, "operator 0 (MAX_POOL_2D): stride_w is 0"},
      {"version", schema_version_2, "schema version 2 is not supported"},
      {"no subgraph", no_subgraph, "m.tflite: has no subgraph 0"},
      {"opcode index", bad_opcode_index, "operator 0 uses operator code 5, but the model has 1"},
  };
  for (const Rejection& c : cases) {
    const std::string message = read_error(c.build(), "m.tflite");
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << c.what << ": message was \"" << message << "\"";
    EXPECT_EQ(message.rfind("m.tflite: ", 0), 0u) << c.what;
  }
}

// ---------------------------------------------------------------- corrupt files

TEST(TfliteReader, EmptyMissingAndForeignFiles) {
  EXPECT_EQ(read_error({}, "empty.tflite"), "empty.tflite: file is empty");
  try {
    read_tflite("/nonexistent/dir/model.tflite");
    FAIL() << "missing file was read";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/dir/model.tflite: cannot open the file");
  }
  ModelBuilder b;
  const int x = b.activation("x", {1, 4});
  std::vector<std::uint8_t> bytes = b.finish({x}, {x});
  EXPECT_EQ(read_error(bytes), "");
  std::memcpy(bytes.data() + 4, "ONNX", 4);
  EXPECT_EQ(read_error(bytes, "f.tflite"),
            "f.tflite: not a TFLite model: file identifier is 'ONNX', expected 'TFL3'");
}

// Every prefix up to `exhaustive` bytes and 200 random longer ones must be rejected with a
// message naming the file.
void expect_truncations_rejected(const std::vector<std::uint8_t>& bytes, std::size_t exhaustive) {
  std::vector<std::size_t> cuts;
  for (std::size_t n = 0; n <= std::min(exhaustive, bytes.size() - 1); ++n) cuts.push_back(n);
  std::mt19937 rng(1234);
  std::uniform_int_distribution<std::size_t> anywhere(0, bytes.size() - 1);
  for (int i = 0; i < 200; ++i) cuts.push_back(anywhere(rng));
  for (const std::size_t n : cuts) {
    const std::vector<std::uint8_t> prefix(bytes.begin(),
                                           bytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(read_error(prefix, "cut.tflite").rfind("cut.tflite: ", 0), 0u)
        << "a " << n << "-byte prefix loaded";
  }
}

// 1000 copies with 1..16 random bytes overwritten (fixed seed): each either loads as a
// valid graph or throws tinyscale::Error naming the file; returns how many were rejected.
int corrupt_copies(const std::vector<std::uint8_t>& original, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> position(0, original.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> how_many(1, 16);
  // The flatbuffer's tables sit at the start and end of a TFLite file (weights fill the
  // middle), so half the copies corrupt only the first and last 4 KB.
  const std::size_t edge = std::min<std::size_t>(4096, original.size() / 2);
  std::uniform_int_distribution<std::size_t> structure(0, 2 * edge - 1);
  int rejected = 0;
  for (int copy = 0; copy < 1000; ++copy) {
    std::vector<std::uint8_t> bytes = original;
    const int flips = how_many(rng);
    for (int f = 0; f < flips; ++f) {
      std::size_t at = position(rng);
      if (copy % 2 == 0) {
        const std::size_t s = structure(rng);
        at = s < edge ? s : original.size() - 1 - (s - edge);
      }
      bytes[at] = static_cast<std::uint8_t>(byte(rng));
    }
    try {
      const core::Graph g = read_tflite_buffer(bytes, "flip.tflite");
      g.validate();  // whatever loads is a valid graph
    } catch (const Error& e) {
      ++rejected;
      EXPECT_EQ(std::string(e.what()).rfind("flip.tflite: ", 0), 0u) << e.what();
    }
  }
  return rejected;
}

TEST(TfliteReader, TruncatedFilesFailCleanly) {
  const std::vector<std::uint8_t> synthetic = every_op_model();
  expect_truncations_rejected(synthetic, synthetic.size());
  SKIP_WITHOUT_INTEROP("kws_ref_model");
  expect_truncations_rejected(read_bytes(kInterop + "/kws_ref_model/model.tflite"), 64);
}

TEST(TfliteReader, CorruptedBytesNeverCrash) {
  const int synthetic_rejected = corrupt_copies(every_op_model(), 7);
  std::cout << "[          ] synthetic model: " << synthetic_rejected
            << " of 1000 corrupted copies rejected\n";
  EXPECT_GT(synthetic_rejected, 100);
  SKIP_WITHOUT_INTEROP("kws_ref_model");
  const int kws_rejected = corrupt_copies(read_bytes(kInterop + "/kws_ref_model/model.tflite"), 42);
  std::cout << "[          ] kws_ref_model: " << kws_rejected
            << " of 1000 corrupted copies rejected\n";
  EXPECT_GT(kws_rejected, 100);
}

// ---------------------------------------------------------------- Model.metadata

// A one-RELU model whose Model.metadata holds `entries` (name, buffer index); buffer 0 is
// the empty sentinel and `blobs` are buffers 1, 2, ...
std::vector<std::uint8_t> model_with_metadata(
    const std::vector<std::pair<std::string, std::uint32_t>>& entries,
    const std::vector<std::vector<std::uint8_t>>& blobs) {
  flatbuffers::FlatBufferBuilder fbb;
  const std::vector<int> in = {0}, out = {1};
  const std::vector<int> shape = {1, 4};
  const std::vector<flatbuffers::Offset<tflite::Tensor>> tensors = {
      tflite::CreateTensorDirect(fbb, &shape, TensorType::FLOAT32, 0, "x"),
      tflite::CreateTensorDirect(fbb, &shape, TensorType::FLOAT32, 0, "y")};
  const std::vector<flatbuffers::Offset<tflite::Operator>> ops = {
      tflite::CreateOperatorDirect(fbb, 0, &in, &out)};
  const std::vector<flatbuffers::Offset<tflite::SubGraph>> subgraphs = {
      tflite::CreateSubGraphDirect(fbb, &tensors, &in, &out, &ops)};
  const std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes = {
      tflite::CreateOperatorCode(fbb, 19, 0, 1, BuiltinOperator::RELU)};
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers = {tflite::CreateBuffer(fbb)};
  for (const auto& blob : blobs) buffers.push_back(tflite::CreateBufferDirect(fbb, &blob));
  std::vector<flatbuffers::Offset<tflite::Metadata>> metadata;
  for (const auto& [name, buffer] : entries)
    metadata.push_back(tflite::CreateMetadataDirect(fbb, name.c_str(), buffer));
  tflite::FinishModelBuffer(fbb, tflite::CreateModelDirect(fbb, 3, &codes, &subgraphs, nullptr,
                                                           &buffers, nullptr, &metadata));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::vector<std::uint8_t> text_bytes(const std::string& s) { return {s.begin(), s.end()}; }

// Found by fuzz/fuzz_tflite: one changed byte moved a tensor's int64 zero points off an 8-byte
// boundary (the flatbuffers verifier only aligns the vector's length); loading them was
// undefined behaviour (UBSan: misaligned load), now they are copied. The model still reads.
TEST(TfliteReader, ZeroPointsOffAnEightByteBoundaryAreRead) {
  const std::vector<std::uint8_t> bytes =
      read_bytes(std::string(TINYSCALE_SOURCE_DIR) +
                 "/fuzz/corpus/fuzz_tflite/zero_points_off_8_byte_boundary.tflite");
  ASSERT_EQ(bytes.size(), 15168u);
  try {
    const core::Graph g = read_tflite_buffer(bytes, "misaligned.tflite");
    for (const core::Tensor& t : g.tensors) {
      for (const std::int64_t z : t.quantization.zero_points) {
        EXPECT_TRUE(t.dtype != core::DType::int8 || (z >= -128 && z <= 127)) << t.name;
      }
    }
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("misaligned.tflite"), std::string::npos) << e.what();
  }
}

TEST(TfliteReader, MetadataKeptInOrderConverterEntriesDropped) {
  const core::Graph g = read_tflite_buffer(
      model_with_metadata({{"min_runtime_version", 1},
                           {"labels", 2},
                           {"CONVERSION_METADATA", 3},
                           {"no_bytes", 0},
                           {"blob", 3}},
                          {text_bytes("1.14.0"), text_bytes("yes\nno"), {7, 0, 255}}),
      "m.tflite");
  ASSERT_EQ(g.metadata.size(), 3u);
  EXPECT_EQ(g.metadata[0].name, "labels");
  EXPECT_EQ(g.metadata[0].bytes, text_bytes("yes\nno"));
  EXPECT_EQ(g.metadata[1].name, "no_bytes");
  EXPECT_TRUE(g.metadata[1].bytes.empty());
  EXPECT_EQ(g.metadata[2].name, "blob");
  EXPECT_EQ(g.metadata[2].bytes, (std::vector<std::uint8_t>{7, 0, 255}));
}

TEST(TfliteReader, MetadataWithABadBufferIndexOrNoNameIsRejected) {
  EXPECT_EQ(
      read_error(model_with_metadata({{"labels", 1}, {"x", 9}}, {text_bytes("a")}), "m.tflite"),
      "m.tflite: metadata entry 1 'x' refers to buffer 9, but the model has 2 buffers");
  EXPECT_EQ(read_error(model_with_metadata({{"", 1}}, {text_bytes("a")}), "m.tflite"),
            "m.tflite: metadata entry 0 has no name");
}

// ---------------------------------------------------------------- size limits (core/limits.h)

std::vector<std::uint8_t> relu_model(std::vector<int> shape) {
  ModelBuilder b;
  const int x = b.activation("x", shape);
  const int y = b.activation("y", std::move(shape));
  b.op(BuiltinOperator::RELU, {x}, {y});
  return b.finish({x}, {y});
}

TEST(TfliteReader, TensorOverTheByteLimitIsRefusedBeforeAnythingIsAllocated) {
  // A few hundred bytes declaring a 4 GiB float activation, which the engine would allocate.
  const std::vector<std::uint8_t> bytes = relu_model({1, 16384, 16384, 4});
  ASSERT_LT(bytes.size(), 1000u);
  const auto start = std::chrono::steady_clock::now();
  const std::string message = read_error(bytes, "m.tflite");
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(message,
            "m.tflite: tensor 0 'x' (1x16384x16384x4 float32) needs 4294967296 bytes, over the "
            "256 MiB limit for one tensor (kMaxTensorBytes)");
  EXPECT_LT(took.count(), 500.0);  // a refusal, not an allocation (about 0.05 ms here)
  // One row over the limit is refused; exactly at it, the model reads.
  const std::string over = read_error(relu_model({1, 8193, 8192, 1}));
  EXPECT_NE(over.find("needs 268468224 bytes, over the 256 MiB limit"), std::string::npos) << over;
  EXPECT_EQ(read_error(relu_model({1, 8192, 8192, 1})), "");
  // A shape whose product passes 2^63 is refused, never wrapped to a small size.
  EXPECT_EQ(read_error(relu_model({16777216, 16777216, 16777216, 16777216}), "m.tflite"),
            "m.tflite: tensor 0 'x' (16777216x16777216x16777216x16777216 float32) needs more "
            "than 2^63 bytes, over the 256 MiB limit for one tensor (kMaxTensorBytes)");
}

}  // namespace
}  // namespace tinyscale::exporter
