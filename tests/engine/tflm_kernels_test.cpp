// Tests of engine::tflm_kernel_needs: what each operator's TFLite Micro kernel (commit
// 90b983c2, 32-bit Cortex-M) takes from the arena, with reference and CMSIS-NN kernels, on
// hand-built layouts. The expectations are derived by hand from TFLite Micro's and CMSIS-NN's
// source (see engine/tflm_kernels.cpp). The arena differences between kernel sets and between
// operators were measured with ../shared/tools/tflm/cm/measure.sh (M7) on one-operator int8
// models tinyscale exported (8x8x16 inputs unless named):
//   CMSIS-NN minus reference: conv 1x1 (stride 1 and 2) 0; conv 3x3 16->16 576; conv 3x3
//   17->16 624; conv 3x3 stride 2 3->16 112; depthwise 3x3 (stride 1, 2, multiplier 2) 0;
//   depthwise 5x5 800; fully connected 2-D and 3-D (per-channel) 32 (op data 72 vs 48);
//   average pool 64; grouped conv (2 groups) 1x1 64, 3x3 576; max pool, mean, softmax, add,
//   mul and the element-wise ops 0.
// The arena of each of those models, of the two interop models (AD01, DS-CNN), of PhiNet (with
// and without float I/O, with 5x5 convolutions), XiNet, the KWS preset, a small tinyCLAP
// encoder and a PhiNet YOLO, on M7 (and M4 for some: the same), also agreed with
// predict_tflm_arena up to an offset that depends only on the number of input and output
// tensors (the framework part's), so the builtin, init, prepare and scratch sizes of every
// operator here are consistent with the tool.
#include "engine/tflm_kernels.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyscale::engine {
namespace {

constexpr TflmKernels kRef = TflmKernels::reference;
constexpr TflmKernels kCmsis = TflmKernels::cmsis_nn;

// A one-operator model under construction.
struct ModelBuilder {
  TfliteLayout model;

  int tensor(std::vector<std::int32_t> shape, int type = tflite_type::int8, bool constant = false,
             int scales = 1) {
    TfliteTensorLayout t;
    t.type = type;
    t.shape = std::move(shape);
    t.constant = constant;
    t.quantized = type != tflite_type::float32;
    t.scales = t.quantized ? scales : 0;
    t.zero_points = t.scales;
    model.tensors.push_back(t);
    return static_cast<int>(model.tensors.size()) - 1;
  }
  int weights(std::vector<std::int32_t> shape, int scales) {
    return tensor(std::move(shape), tflite_type::int8, true, scales);
  }
  void op(int builtin, std::vector<std::int32_t> inputs, std::vector<std::int32_t> outputs,
          TfliteOptionsLayout options = {}) {
    TfliteOperatorLayout o;
    o.builtin = builtin;
    o.inputs = std::move(inputs);
    o.outputs = std::move(outputs);
    o.options = options;
    model.operators.push_back(o);
  }
  TflmKernelNeeds needs(TflmKernels kernels) const { return tflm_kernel_needs(model, 0, kernels); }
};

std::vector<std::int64_t> bytes_of(const std::vector<TflmBlock>& blocks) {
  std::vector<std::int64_t> out;
  for (const TflmBlock& b : blocks) {
    EXPECT_EQ(b.alignment, 16) << b.what;
    out.push_back(b.bytes);
  }
  return out;
}

void expect_needs(const TflmKernelNeeds& n, std::int64_t builtin, int builtin_alignment,
                  std::vector<std::int64_t> init, std::vector<std::int64_t> prepare,
                  std::vector<std::int64_t> scratch, const std::string& where) {
  EXPECT_TRUE(n.known) << where << ": " << n.unknown;
  EXPECT_EQ(n.builtin_data.bytes, builtin) << where;
  if (builtin > 0) {
    EXPECT_EQ(n.builtin_data.alignment, builtin_alignment) << where;
  }
  EXPECT_EQ(bytes_of(n.init), init) << where;
  EXPECT_EQ(bytes_of(n.prepare), prepare) << where;
  EXPECT_EQ(n.scratch, scratch) << where;
}

// CONV_2D 8x8 input, `in_c` -> `out_c`, k x k, stride, SAME padding (0) or VALID (1).
ModelBuilder conv(int in_c, int out_c, int k, int stride, int padding, int size = 8) {
  ModelBuilder b;
  const int in = b.tensor({1, size, size, in_c});
  const int w = b.weights({out_c, k, k, in_c}, out_c);
  const int bias = b.tensor({out_c}, tflite_type::int32, true, out_c);
  const int out_size = padding == 0 ? (size + stride - 1) / stride : (size - k + stride) / stride;
  const int out = b.tensor({1, out_size, out_size, out_c});
  TfliteOptionsLayout o;
  o.type = 1;
  o.padding = padding;
  o.stride_h = o.stride_w = stride;
  b.op(3, {in, w, bias}, {out}, o);
  return b;
}

TEST(TflmKernels, Conv1x1NeedsNoCmsisBufferAtAnyStride) {
  for (const int stride : {1, 2}) {
    const ModelBuilder b = conv(16, 16, 1, stride, 0);
    expect_needs(b.needs(kRef), 28, 4, {56}, {64, 64}, {}, "ref 1x1");
    expect_needs(b.needs(kCmsis), 28, 4, {60}, {64, 64}, {}, "cmsis 1x1");
  }
}

TEST(TflmKernels, Conv3x3CmsisIm2colBufferIsFourBytesPerRoundedColumn) {
  // 3*3*16 = 144 columns: 4 * 144 = 576 (measured difference 576).
  expect_needs(conv(16, 16, 3, 1, 0).needs(kCmsis), 28, 4, {60}, {64, 64}, {576}, "16");
  expect_needs(conv(16, 16, 3, 1, 0).needs(kRef), 28, 4, {56}, {64, 64}, {}, "ref 16");
  // Odd channels: 3*3*17 = 153, rounded up to 156 -> 624 (measured 624).
  expect_needs(conv(17, 16, 3, 1, 0).needs(kCmsis), 28, 4, {60}, {64, 64}, {624}, "17");
  // The stem: 3*3*3 = 27 -> 28 -> 112 (measured 112); 16 output channels -> 64-byte arrays.
  expect_needs(conv(3, 16, 3, 2, 0).needs(kCmsis), 28, 4, {60}, {64, 64}, {112}, "stem");
  // Odd output channels size the per-channel arrays: 4 * 7.
  expect_needs(conv(8, 7, 3, 1, 1).needs(kCmsis), 28, 4, {60}, {28, 28}, {288}, "7 out");
}

// CONV_2D with `groups` groups: the filter holds in_c / groups input channels.
ModelBuilder grouped_conv(int in_c, int out_c, int k, int groups) {
  ModelBuilder b = conv(in_c, out_c, k, 1, 0);
  b.model.tensors[1].shape[3] = in_c / groups;
  return b;
}

TEST(TflmKernels, GroupedConvIm2colUsesTheInputChannels) {
  // A grouped 1x1 is not CMSIS-NN's 1x1 kernel: 4 * 16 (measured 64); 3x3: 4 * 144 (576).
  expect_needs(grouped_conv(16, 16, 1, 2).needs(kCmsis), 28, 4, {60}, {64, 64}, {64}, "1x1");
  expect_needs(grouped_conv(16, 16, 3, 2).needs(kCmsis), 28, 4, {60}, {64, 64}, {576}, "3x3");
  expect_needs(grouped_conv(16, 16, 1, 2).needs(kRef), 28, 4, {56}, {64, 64}, {}, "ref");
}

TEST(TflmKernels, Conv1x1WithDilationTakesTheGeneralPath) {
  ModelBuilder b = conv(16, 16, 1, 1, 0);
  b.model.operators[0].options.dilation_h = 2;
  expect_needs(b.needs(kCmsis), 28, 4, {60}, {64, 64}, {64}, "dilated 1x1");
}

// DEPTHWISE_CONV_2D: `channels` x `multiplier`, k x k.
ModelBuilder depthwise(int channels, int multiplier, int k, int stride, int padding,
                       int batch = 1) {
  ModelBuilder b;
  const int out_c = channels * multiplier;
  const int in = b.tensor({batch, 8, 8, channels});
  const int w = b.weights({1, k, k, out_c}, out_c);
  const int bias = b.tensor({out_c}, tflite_type::int32, true, out_c);
  const int out_size = padding == 0 ? (8 + stride - 1) / stride : (8 - k + stride) / stride;
  const int out = b.tensor({batch, out_size, out_size, out_c});
  TfliteOptionsLayout o;
  o.type = 2;
  o.padding = padding;
  o.stride_h = o.stride_w = stride;
  o.depth_multiplier = multiplier;
  b.op(4, {in, w, bias}, {out}, o);
  return b;
}

TEST(TflmKernels, Depthwise3x3UsesTheBufferlessCmsisKernel) {
  for (const int stride : {1, 2}) {
    expect_needs(depthwise(16, 1, 3, stride, 0).needs(kCmsis), 28, 4, {60}, {64, 64}, {},
                 "3x3 same");
    expect_needs(depthwise(16, 1, 3, stride, 0).needs(kRef), 28, 4, {56}, {64, 64}, {},
                 "ref 3x3");
  }
  expect_needs(depthwise(17, 1, 3, 1, 1).needs(kCmsis), 28, 4, {60}, {68, 68}, {}, "3x3 valid");
}

TEST(TflmKernels, DepthwiseOtherKernelsTakeTwoBytesPerTap) {
  // 2 * 16 * 25 = 800 (measured 800).
  expect_needs(depthwise(16, 1, 5, 1, 0).needs(kCmsis), 28, 4, {60}, {64, 64}, {800}, "5x5");
  expect_needs(depthwise(17, 1, 5, 1, 1).needs(kCmsis), 28, 4, {60}, {68, 68}, {850}, "5x5 17");
  expect_needs(depthwise(16, 1, 5, 1, 0).needs(kRef), 28, 4, {56}, {64, 64}, {}, "ref 5x5");
}

TEST(TflmKernels, DepthwiseMultiplierAndBatchesNeedNoBuffer) {
  // Multiplier 2: arm_depthwise_conv_s8 (measured difference 0); arrays for 32 channels.
  expect_needs(depthwise(16, 2, 3, 1, 0).needs(kCmsis), 28, 4, {60}, {128, 128}, {}, "m2");
  expect_needs(depthwise(16, 2, 5, 1, 0).needs(kCmsis), 28, 4, {60}, {128, 128}, {}, "m2 5x5");
  expect_needs(depthwise(16, 1, 5, 1, 0, 2).needs(kCmsis), 28, 4, {60}, {64, 64}, {},
               "batch 2");
}

ModelBuilder fully_connected(std::vector<std::int32_t> in_shape, int out_features, int scales) {
  ModelBuilder b;
  const int depth = in_shape.back();
  std::vector<std::int32_t> out_shape = in_shape;
  out_shape.back() = out_features;
  const int in = b.tensor(in_shape);
  const int w = b.weights({out_features, depth}, scales);
  const int bias = b.tensor({out_features}, tflite_type::int32, true, scales);
  const int out = b.tensor(out_shape);
  TfliteOptionsLayout o;
  o.type = 8;
  o.keep_num_dims = in_shape.size() > 2;
  b.op(9, {in, w, bias}, {out}, o);
  return b;
}

TEST(TflmKernels, FullyConnectedPerChannelArraysAndCmsisOpData) {
  // Per-channel weights (tinyscale's export): two arrays of 4 bytes per scale.
  expect_needs(fully_connected({1, 64}, 10, 10).needs(kRef), 5, 1, {48}, {40, 40}, {}, "ref");
  expect_needs(fully_connected({1, 64}, 10, 10).needs(kCmsis), 5, 1, {72}, {40, 40}, {},
               "cmsis");
  expect_needs(fully_connected({1, 4, 64}, 12, 12).needs(kCmsis), 5, 1, {72}, {48, 48}, {},
               "cmsis 3-D per-channel");
}

TEST(TflmKernels, FullyConnectedPerTensorThreeDimensionalTakesTheConvolutionPath) {
  // Per-tensor weights: nothing persistent; CMSIS-NN's 1x1-convolution path (output rank > 2,
  // accumulation depth a multiple of 4) requests 8 bytes per output channel.
  expect_needs(fully_connected({1, 64}, 10, 1).needs(kCmsis), 5, 1, {72}, {}, {}, "2-D");
  expect_needs(fully_connected({1, 4, 64}, 12, 1).needs(kCmsis), 5, 1, {72}, {}, {96}, "3-D");
  expect_needs(fully_connected({1, 4, 66}, 12, 1).needs(kCmsis), 5, 1, {72}, {}, {}, "depth 66");
  expect_needs(fully_connected({1, 4, 64}, 12, 1).needs(kRef), 5, 1, {48}, {}, {}, "ref 3-D");
}

ModelBuilder pool(int builtin, int channels) {
  ModelBuilder b;
  const int in = b.tensor({1, 8, 8, channels});
  const int out = b.tensor({1, 4, 4, channels});
  TfliteOptionsLayout o;
  o.type = 5;
  o.padding = 1;
  o.stride_h = o.stride_w = o.filter_h = o.filter_w = 2;
  b.op(builtin, {in}, {out}, o);
  return b;
}

TEST(TflmKernels, PoolingCmsisAverageTakesFourBytesPerChannel) {
  expect_needs(pool(1, 16).needs(kCmsis), 40, 4, {36}, {}, {64}, "avg");  // measured 64
  expect_needs(pool(1, 15).needs(kCmsis), 40, 4, {36}, {}, {60}, "avg 15");
  expect_needs(pool(1, 16).needs(kRef), 40, 4, {32}, {}, {}, "ref avg");
  expect_needs(pool(17, 16).needs(kCmsis), 40, 4, {36}, {}, {}, "max");
  expect_needs(pool(17, 16).needs(kRef), 40, 4, {32}, {}, {}, "ref max");
}

TEST(TflmKernels, MeanRequestsAccumulatorsTempIndexAndResolvedAxes) {
  for (const TflmKernels k : {kRef, kCmsis}) {
    ModelBuilder b;
    const int in = b.tensor({1, 8, 8, 16});
    const int axis = b.tensor({2}, tflite_type::int32, true);
    const int out = b.tensor({1, 1, 1, 16});
    b.op(40, {in, axis}, {out});
    expect_needs(b.needs(k), 1, 1, {44}, {}, {64, 16, 8}, "int8 mean");
    b.model.tensors[static_cast<std::size_t>(in)].type = tflite_type::float32;
    expect_needs(b.needs(k), 1, 1, {44}, {}, {16, 8}, "float mean");
  }
}

TEST(TflmKernels, SoftmaxOpDataDiffersByKernelSet) {
  ModelBuilder b;
  const int in = b.tensor({1, 10});
  const int out = b.tensor({1, 10});
  b.op(25, {in}, {out});
  expect_needs(b.needs(kRef), 4, 4, {56}, {}, {}, "ref");
  expect_needs(b.needs(kCmsis), 4, 4, {64}, {}, {}, "cmsis");
  b.model.tensors[static_cast<std::size_t>(out)].type = tflite_type::int16;
  EXPECT_FALSE(b.needs(kRef).known);  // int16 lookup tables: not modeled
}

struct SimpleCase {
  int builtin;
  int inputs;  // data tensors (SPLIT: axis first)
  std::int64_t builtin_bytes;
  int builtin_alignment;
  std::int64_t init;  // 0: no Init
  int in_type = tflite_type::int8;
  bool axis_first = false;
};

TEST(TflmKernels, ElementwiseAndDataMovementOpsSameForBothKernelSets) {
  const std::vector<SimpleCase> cases = {
      {0, 2, 2, 1, 60},                               // ADD
      {18, 2, 1, 1, 36},                              // MUL
      {22, 1, 36, 4, 0},                              // RESHAPE
      {2, 2, 8, 4, 24},                               // CONCATENATION
      {34, 1, 0, 4, 56},                              // PAD
      {97, 1, 2, 1, 0},                               // RESIZE_NEAREST_NEIGHBOR
      {49, 1, 4, 4, 0, tflite_type::int8, true},      // SPLIT
      {65, 1, 0, 4, 0},                               // SLICE
      {117, 1, 0, 4, 20},                             // HARD_SWISH
      {14, 1, 0, 4, 16},                              // LOGISTIC
      {28, 1, 0, 4, 16},                              // TANH
      {98, 1, 4, 4, 24},                              // LEAKY_RELU
      {19, 1, 0, 4, 28},                              // RELU
      {21, 1, 0, 4, 8},                               // RELU6
      {114, 1, 0, 4, 32, tflite_type::float32},       // QUANTIZE (float in)
      {114, 1, 0, 4, 32, tflite_type::int16},         // QUANTIZE (requantize int16)
      {6, 1, 0, 4, 32},                               // DEQUANTIZE
  };
  for (const SimpleCase& c : cases) {
    for (const TflmKernels k : {kRef, kCmsis}) {
      ModelBuilder b;
      std::vector<std::int32_t> inputs;
      if (c.axis_first) inputs.push_back(b.tensor({}, tflite_type::int32, true));
      for (int i = 0; i < c.inputs; ++i) inputs.push_back(b.tensor({1, 4, 4, 8}, c.in_type));
      const int out = b.tensor({1, 4, 4, 8});
      b.op(c.builtin, inputs, {out});
      const std::string where = "builtin " + std::to_string(c.builtin) + " " +
                                tflm_kernels_name(k);
      std::vector<std::int64_t> init;
      if (c.init > 0) init.push_back(c.init);
      expect_needs(b.needs(k), c.builtin_bytes, c.builtin_alignment, init, {}, {}, where);
    }
  }
}

TEST(TflmKernels, UnknownOperatorsAndTypesSayWhich) {
  ModelBuilder b;
  const int in = b.tensor({1, 4});
  const int out = b.tensor({1, 4});
  b.op(99, {in, in}, {out});  // SQUARED_DIFFERENCE
  TflmKernelNeeds n = b.needs(kCmsis);
  EXPECT_FALSE(n.known);
  EXPECT_NE(n.unknown.find("operator 0"), std::string::npos) << n.unknown;
  EXPECT_NE(n.unknown.find("99"), std::string::npos) << n.unknown;

  ModelBuilder f = conv(16, 16, 3, 1, 0);
  f.model.tensors[0].type = tflite_type::float32;
  n = f.needs(kRef);
  EXPECT_FALSE(n.known);
  EXPECT_NE(n.unknown.find("CONV_2D"), std::string::npos) << n.unknown;
  EXPECT_NE(n.unknown.find("float32"), std::string::npos) << n.unknown;

  ModelBuilder missing = conv(16, 16, 3, 1, 0);
  missing.model.operators[0].inputs[1] = -1;
  n = missing.needs(kCmsis);
  EXPECT_FALSE(n.known);
  EXPECT_NE(n.unknown.find("input 1"), std::string::npos) << n.unknown;

  n = tflm_kernel_needs(b.model, 5, kRef);
  EXPECT_FALSE(n.known);
  EXPECT_NE(n.unknown.find("out of range"), std::string::npos) << n.unknown;
}

TEST(TflmKernels, KernelSetNames) {
  TflmKernels k = kRef;
  EXPECT_TRUE(parse_tflm_kernels("cmsis-nn", &k));
  EXPECT_EQ(k, kCmsis);
  EXPECT_TRUE(parse_tflm_kernels("reference", &k));
  EXPECT_EQ(k, kRef);
  EXPECT_FALSE(parse_tflm_kernels("cmsis", &k));
  EXPECT_STREQ(tflm_kernels_name(kCmsis), "cmsis-nn");
  EXPECT_STREQ(tflm_kernels_name(kRef), "reference");
}

}  // namespace
}  // namespace tinyscale::engine
