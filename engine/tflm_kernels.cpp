// What each operator's TensorFlow Lite Micro kernel takes from the arena (tflm_kernels.h).
//
// Follows TFLite Micro at commit 90b983c2b3f1480642e040bbd2ddb37b998f3424 (the prebuilt tool in
// ../shared/tools/tflm) built with arm-none-eabi-gcc 12.2 for Cortex-M (-mthumb, hard float,
// TF_LITE_STATIC_MEMORY), with its reference kernels or with OPTIMIZED_KERNEL_DIR=cmsis_nn (the
// CMSIS-NN commit TFLite Micro pins; DSP extension on, no MVE). The specification, per part:
//   builtin data  tensorflow/lite/core/api/flatbuffer_conversions.cc (ParseConv2D, ParsePool, ...)
//                 and the structs of tensorflow/lite/core/c/builtin_op_data.h;
//                 MicroBuiltinDataAllocator::Allocate takes the persistent tail with
//                 alignof(struct).
//   init/prepare  tensorflow/lite/micro/kernels/{conv,conv_common,depthwise_conv_common,
//                 fully_connected_common,pooling,reduce_common,softmax_common,...}.cc and their
//                 cmsis_nn/ counterparts (conv, depthwise_conv, fully_connected, pooling,
//                 softmax): the OpData structs of Init and the AllocatePersistentBuffer /
//                 RequestScratchBufferInArena calls of Prepare.
//   scratch       CMSIS-NN Source/*/arm_*_get_buffer_sizes_s8.c (the _dsp variants).
//
// Target ABI: pointers, int and size_t are 4 bytes; arm-none-eabi uses short enums (an enum
// whose values fit in a byte is 1 byte), so e.g. TfLiteAddParams {activation, bool} is 2 bytes
// with alignment 1. Each size below was derived from the struct definitions and then read back
// from the prebuilt library itself (the immediate passed to the allocator in ParseXxx and in each
// kernel's Init, and the CMSIS-NN buffer-size functions' code), and the per-operator differences
// were checked with measure.sh (tests/engine/tflm_kernels_test.cpp states what was measured).
//
// Builtin data (bytes, alignment):
//   TfLiteConvParams          28, 4  padding(1)+pad, stride_w, stride_h, activation(1)+pad,
//                                    dilation_w, dilation_h, quantized_bias_type(1)+pad
//   TfLiteDepthwiseConvParams 28, 4  padding, stride_w, stride_h, depth_multiplier, activation,
//                                    dilation_w, dilation_h (enums 1 byte + padding)
//   TfLitePoolParams          40, 4  padding, stride_w, stride_h, filter_w, filter_h,
//                                    activation, computed.padding (4 ints)
//   TfLiteFullyConnectedParams 5, 1  activation, weights_format, keep_num_dims,
//                                    asymmetric_quantize_inputs, quantized_bias_type (all 1 byte)
//   TfLiteAddParams            2, 1  activation, pot_scale_int16
//   TfLiteMulParams            1, 1  activation
//   TfLiteReshapeParams       36, 4  shape[8], num_dimensions
//   TfLiteConcatenationParams  8, 4  axis, activation(1)+pad
//   TfLiteSoftmaxParams        4, 4  beta
//   TfLiteReducerParams        1, 1  keep_dims (MEAN)
//   TfLiteResizeNearestNeighborParams 2, 1  align_corners, half_pixel_centers
//   TfLiteSplitParams          4, 4  num_splits
//   TfLiteLeakyReluParams      4, 4  alpha
//   PAD, SLICE, RELU, RELU6, LOGISTIC, TANH, HARD_SWISH, QUANTIZE, DEQUANTIZE: none.
// Init (OpData; allocated with alignment 16), reference / CMSIS-NN:
//   CONV_2D 56 / 60 (OpDataConv; cmsis adds buffer_idx)   DEPTHWISE_CONV_2D 56 / 60
//   FULLY_CONNECTED 48 / 72   AVERAGE_POOL_2D, MAX_POOL_2D 32 / 36   SOFTMAX 56 / 64
//   ADD 60   MUL 36   MEAN 44   CONCATENATION 24   PAD 56   LEAKY_RELU 24   HARD_SWISH 20
//   LOGISTIC 16   TANH 16   RELU 28   RELU6 8   QUANTIZE 32   DEQUANTIZE 32
//   RESHAPE, RESIZE_NEAREST_NEIGHBOR, SPLIT, SLICE: no Init.
// Prepare, persistent (alignment 16):
//   CONV_2D, DEPTHWISE_CONV_2D (int8/int16 input): per-channel multipliers, then shifts, each
//     4 bytes per output channel (filter dimension 0 for conv, 3 for depthwise).
//   FULLY_CONNECTED with per-channel quantized weights: the same two arrays, 4 bytes per scale.
// Prepare, scratch (RequestScratchBufferInArena), CMSIS-NN:
//   CONV_2D int8: arm_convolve_wrapper_s8_get_buffer_size: 0 for a 1x1 filter without padding,
//     dilation 1 and ungrouped; otherwise 4 * round_up(kh * kw * in_c, 4) (2 im2col columns of
//     int16).
//   DEPTHWISE_CONV_2D int8: arm_depthwise_conv_wrapper_s8_get_buffer_size: when
//     in_c == out_c (multiplier 1), batch 1, dilation 1 and not (3x3 with both paddings <= 1):
//     2 * in_c * kh * kw; otherwise 0 (none requested).
//   FULLY_CONNECTED int8, per-tensor weights, output rank > 2 and accum depth % 4 == 0: 8 bytes
//     per output channel (the per-channel parameters the 1x1-convolution path fills); otherwise
//     none (arm_fully_connected_s8_get_buffer_size is 0 without MVE). This one case is read
//     from the library's code only: the measuring firmware does not finish Invoke() on such a
//     model, and tinyscale's exports quantize weights per channel.
//   AVERAGE_POOL_2D int8/int16: 4 * channels (arm_avgpool_s8/s16_get_buffer_size).
// Prepare, scratch, both kernel sets:
//   MEAN: int8/int16: 4 * output elements (the accumulators); then 4 * input rank (temp
//     index) and 4 * axis elements (resolved axes), for every type.
#include "engine/tflm_kernels.h"

#include <algorithm>

namespace tinyscale::engine {
namespace {

namespace op {
constexpr int add = 0;
constexpr int average_pool_2d = 1;
constexpr int concatenation = 2;
constexpr int conv_2d = 3;
constexpr int depthwise_conv_2d = 4;
constexpr int dequantize = 6;
constexpr int fully_connected = 9;
constexpr int logistic = 14;
constexpr int max_pool_2d = 17;
constexpr int mul = 18;
constexpr int relu = 19;
constexpr int relu6 = 21;
constexpr int reshape = 22;
constexpr int softmax = 25;
constexpr int tanh = 28;
constexpr int pad = 34;
constexpr int mean = 40;
constexpr int split = 49;
constexpr int slice = 65;
constexpr int resize_nearest_neighbor = 97;
constexpr int leaky_relu = 98;
constexpr int quantize = 114;
constexpr int hard_swish = 117;
}  // namespace op

constexpr int kPaddingSame = 0;

const char* builtin_name(int builtin) {
  switch (builtin) {
    case op::add:
      return "ADD";
    case op::average_pool_2d:
      return "AVERAGE_POOL_2D";
    case op::concatenation:
      return "CONCATENATION";
    case op::conv_2d:
      return "CONV_2D";
    case op::depthwise_conv_2d:
      return "DEPTHWISE_CONV_2D";
    case op::dequantize:
      return "DEQUANTIZE";
    case op::fully_connected:
      return "FULLY_CONNECTED";
    case op::logistic:
      return "LOGISTIC";
    case op::max_pool_2d:
      return "MAX_POOL_2D";
    case op::mul:
      return "MUL";
    case op::relu:
      return "RELU";
    case op::relu6:
      return "RELU6";
    case op::reshape:
      return "RESHAPE";
    case op::softmax:
      return "SOFTMAX";
    case op::tanh:
      return "TANH";
    case op::pad:
      return "PAD";
    case op::mean:
      return "MEAN";
    case op::split:
      return "SPLIT";
    case op::slice:
      return "SLICE";
    case op::resize_nearest_neighbor:
      return "RESIZE_NEAREST_NEIGHBOR";
    case op::leaky_relu:
      return "LEAKY_RELU";
    case op::quantize:
      return "QUANTIZE";
    case op::hard_swish:
      return "HARD_SWISH";
    default:
      return nullptr;
  }
}

const char* type_name(int type) {
  switch (type) {
    case tflite_type::float32:
      return "float32";
    case tflite_type::float16:
      return "float16";
    case tflite_type::int32:
      return "int32";
    case tflite_type::uint8:
      return "uint8";
    case tflite_type::int64:
      return "int64";
    case tflite_type::boolean:
      return "bool";
    case tflite_type::int16:
      return "int16";
    case tflite_type::int8:
      return "int8";
    default:
      return "another type";
  }
}

// One operator being looked at: its operands, checked, and the needs being filled in.
class Op {
 public:
  Op(const TfliteLayout& model, std::size_t index, TflmKernels kernels)
      : model_(model), index_(index), kernels_(kernels) {}

  bool cmsis() const { return kernels_ == TflmKernels::cmsis_nn; }
  const TfliteOperatorLayout& op() const { return model_.operators[index_]; }
  TflmKernelNeeds& needs() { return needs_; }

  // The tensor of input/output `i`, or nullptr (and the needs marked unknown) when it is
  // missing or out of range.
  const TfliteTensorLayout* input(std::size_t i) { return operand(op().inputs, i, "input"); }
  const TfliteTensorLayout* output(std::size_t i) { return operand(op().outputs, i, "output"); }

  // The shape of `t` with exactly `rank` dimensions, or false (unknown).
  bool shape(const TfliteTensorLayout* t, std::size_t rank, const char* what) {
    if (t == nullptr) return false;
    if (t->shape.size() != rank) {
      fail(std::string(what) + " has rank " + std::to_string(t->shape.size()) + ", expected " +
           std::to_string(rank));
      return false;
    }
    return true;
  }

  void fail(const std::string& why) {
    if (!needs_.known) return;  // keep the first reason
    needs_.known = false;
    const char* name = builtin_name(op().builtin);
    needs_.unknown =
        "operator " + std::to_string(index_) + " (" +
        (name != nullptr ? std::string(name) : "builtin " + std::to_string(op().builtin)) +
        "): " + why;
  }
  void unsupported_type(int type, const char* what) {
    fail(std::string(what) + " type " + type_name(type) + " is not modeled");
  }

  void builtin(std::int64_t bytes, int alignment, const char* what) {
    needs_.builtin_data = TflmBlock{bytes, alignment, what};
  }
  void init(std::int64_t bytes, const char* what) { needs_.init.push_back({bytes, 16, what}); }
  void persistent(std::int64_t bytes, const char* what) {
    needs_.prepare.push_back({bytes, 16, what});
  }
  void scratch(std::int64_t bytes) { needs_.scratch.push_back(bytes); }

 private:
  const TfliteTensorLayout* operand(const std::vector<std::int32_t>& ids, std::size_t i,
                                    const char* what) {
    if (i >= ids.size() || ids[i] < 0 ||
        static_cast<std::size_t>(ids[i]) >= model_.tensors.size()) {
      fail(std::string(what) + " " + std::to_string(i) + " is missing");
      return nullptr;
    }
    return &model_.tensors[static_cast<std::size_t>(ids[i])];
  }

  const TfliteLayout& model_;
  std::size_t index_;
  TflmKernels kernels_;
  TflmKernelNeeds needs_;
};

// TFLite's ComputePaddingHeightWidth for one dimension: the padding before the first element.
std::int64_t leading_padding(int padding, std::int64_t in, std::int64_t filter, int stride,
                             int dilation) {
  if (stride <= 0) stride = 1;
  if (dilation <= 0) dilation = 1;
  const std::int64_t effective = (filter - 1) * dilation + 1;
  const std::int64_t out =
      padding == kPaddingSame ? (in + stride - 1) / stride : (in + stride - effective) / stride;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + effective - in, 0);
  return total / 2;
}

bool is_quantized_8_16(int type) { return type == tflite_type::int8 || type == tflite_type::int16; }

// The int8 input and filter the conv, depthwise and fully-connected kernels take; false, with
// the operator marked unknown, for another type.
bool int8_input_and_filter(Op& o, const TfliteTensorLayout* in, const TfliteTensorLayout* filter) {
  if (in->type != tflite_type::int8) {
    o.unsupported_type(in->type, "input");
    return false;
  }
  if (filter->type != tflite_type::int8) {
    o.unsupported_type(filter->type, "filter");
    return false;
  }
  return true;
}

// Prepare's per-channel requantization arrays: the multipliers, then the shifts, 4 B per
// output channel each.
void per_channel_parameters(Op& o, std::int64_t channels) {
  o.persistent(channels * 4, "per-channel multipliers");
  o.persistent(channels * 4, "per-channel shifts");
}

void conv_2d(Op& o) {
  o.builtin(28, 4, "TfLiteConvParams");
  o.init(o.cmsis() ? 60 : 56, "OpDataConv");
  const TfliteTensorLayout* in = o.input(0);
  const TfliteTensorLayout* filter = o.input(1);
  if (!o.shape(in, 4, "input") || !o.shape(filter, 4, "filter")) return;
  if (!int8_input_and_filter(o, in, filter)) return;
  per_channel_parameters(o, filter->shape[0]);
  if (!o.cmsis()) return;
  const TfliteOptionsLayout& p = o.op().options;
  const std::int64_t kh = filter->shape[1];
  const std::int64_t kw = filter->shape[2];
  const std::int64_t in_c = in->shape[3];
  const std::int64_t pad_h = leading_padding(p.padding, in->shape[1], kh, p.stride_h, p.dilation_h);
  const std::int64_t pad_w = leading_padding(p.padding, in->shape[2], kw, p.stride_w, p.dilation_w);
  const bool one_by_one = pad_h == 0 && pad_w == 0 && kh == 1 && kw == 1 && p.dilation_w == 1 &&
                          p.dilation_h == 1 && filter->shape[3] == in_c;
  if (one_by_one) return;
  const std::int64_t columns = kh * kw * in_c;
  const std::int64_t bytes = 4 * ((columns + 3) / 4 * 4);
  if (bytes > 0) o.scratch(bytes);
}

void depthwise_conv_2d(Op& o) {
  o.builtin(28, 4, "TfLiteDepthwiseConvParams");
  o.init(o.cmsis() ? 60 : 56, "OpDataConv");
  const TfliteTensorLayout* in = o.input(0);
  const TfliteTensorLayout* filter = o.input(1);
  const TfliteTensorLayout* out = o.output(0);
  if (!o.shape(in, 4, "input") || !o.shape(filter, 4, "filter") || !o.shape(out, 4, "output")) {
    return;
  }
  if (!int8_input_and_filter(o, in, filter)) return;
  per_channel_parameters(o, filter->shape[3]);
  if (!o.cmsis()) return;
  const TfliteOptionsLayout& p = o.op().options;
  const std::int64_t kh = filter->shape[1];
  const std::int64_t kw = filter->shape[2];
  const std::int64_t in_c = in->shape[3];
  if (in_c != out->shape[3] || in->shape[0] != 1 || p.dilation_w != 1 || p.dilation_h != 1) {
    return;  // arm_depthwise_conv_s8 (multiplier > 1, batches, dilation): no buffer
  }
  const std::int64_t pad_h = leading_padding(p.padding, in->shape[1], kh, p.stride_h, 1);
  const std::int64_t pad_w = leading_padding(p.padding, in->shape[2], kw, p.stride_w, 1);
  if (kh == 3 && kw == 3 && pad_h <= 1 && pad_w <= 1) return;  // arm_depthwise_conv_3x3_s8
  const std::int64_t bytes = 2 * in_c * kh * kw;
  if (bytes > 0) o.scratch(bytes);
}

void fully_connected(Op& o) {
  o.builtin(5, 1, "TfLiteFullyConnectedParams");
  o.init(o.cmsis() ? 72 : 48, "OpDataFullyConnected");
  const TfliteTensorLayout* in = o.input(0);
  const TfliteTensorLayout* filter = o.input(1);
  const TfliteTensorLayout* out = o.output(0);
  if (in == nullptr || filter == nullptr || out == nullptr) return;
  if (!int8_input_and_filter(o, in, filter)) return;
  if (filter->shape.empty() || out->shape.size() < 2 || out->shape.size() > 4) {
    return o.fail("filter or output shape is not one TFLite Micro accepts");
  }
  const bool per_channel = filter->quantized && filter->scales > 1;
  if (per_channel) per_channel_parameters(o, filter->scales);
  if (!o.cmsis()) return;
  const std::int64_t accum_depth = filter->shape.back();
  if (!per_channel && out->shape.size() > 2 && accum_depth % 4 == 0) {
    o.scratch(std::int64_t{out->shape.back()} * 8);
  }
}

void pool_2d(Op& o, bool average) {
  o.builtin(40, 4, "TfLitePoolParams");
  o.init(o.cmsis() ? 36 : 32, "OpDataPooling");
  const TfliteTensorLayout* in = o.input(0);
  const TfliteTensorLayout* out = o.output(0);
  if (!o.shape(in, 4, "input") || !o.shape(out, 4, "output")) return;
  if (in->type != tflite_type::int8 && in->type != tflite_type::int16 &&
      in->type != tflite_type::float32) {
    return o.unsupported_type(in->type, "input");
  }
  if (average && o.cmsis() && is_quantized_8_16(in->type)) {
    const std::int64_t bytes = 4 * std::int64_t{out->shape[3]};
    if (bytes > 0) o.scratch(bytes);
  }
}

void mean(Op& o) {
  o.builtin(1, 1, "TfLiteReducerParams");
  o.init(44, "OpDataReduce");
  const TfliteTensorLayout* in = o.input(0);
  const TfliteTensorLayout* axis = o.input(1);
  const TfliteTensorLayout* out = o.output(0);
  if (in == nullptr || axis == nullptr || out == nullptr) return;
  if (in->type != tflite_type::int8 && in->type != tflite_type::int16 &&
      in->type != tflite_type::float32) {
    return o.unsupported_type(in->type, "input");
  }
  if (is_quantized_8_16(in->type)) o.scratch(4 * out->elements());
  o.scratch(4 * static_cast<std::int64_t>(in->shape.size()));
  o.scratch(4 * axis->elements());
}

void softmax(Op& o) {
  o.builtin(4, 4, "TfLiteSoftmaxParams");
  o.init(o.cmsis() ? 64 : 56, "SoftmaxParams");
  const TfliteTensorLayout* in = o.input(0);
  const TfliteTensorLayout* out = o.output(0);
  if (in == nullptr || out == nullptr) return;
  // int16 allocates two lookup tables in Prepare; not modeled.
  if (in->type != tflite_type::int8 && in->type != tflite_type::float32) {
    return o.unsupported_type(in->type, "input");
  }
  if (out->type == tflite_type::int16) o.unsupported_type(out->type, "output");
}

// Operators whose kernel allocates nothing in Prepare: builtin data and Init only. Their
// int8/int16/float32 paths are all alike; another input type is reported as unknown.
// `data` is the index of the input holding the data (SPLIT's input 0 is the axis).
void simple(Op& o, std::int64_t builtin_bytes, int builtin_alignment, const char* builtin_what,
            std::int64_t init_bytes, const char* init_what, std::size_t data = 0) {
  if (builtin_bytes > 0) o.builtin(builtin_bytes, builtin_alignment, builtin_what);
  if (init_bytes > 0) o.init(init_bytes, init_what);
  const TfliteTensorLayout* in = o.input(data);
  if (in == nullptr) return;
  const int type = in->type;
  if (type != tflite_type::int8 && type != tflite_type::int16 && type != tflite_type::float32) {
    o.unsupported_type(type, "input");
  }
}

}  // namespace

const char* tflm_kernels_name(TflmKernels kernels) {
  return kernels == TflmKernels::cmsis_nn ? "cmsis-nn" : "reference";
}

bool parse_tflm_kernels(const std::string& name, TflmKernels* kernels) {
  if (name == "reference") {
    *kernels = TflmKernels::reference;
    return true;
  }
  if (name == "cmsis-nn") {
    *kernels = TflmKernels::cmsis_nn;
    return true;
  }
  return false;
}

TflmKernelNeeds tflm_kernel_needs(const TfliteLayout& model, std::size_t op, TflmKernels kernels) {
  if (op >= model.operators.size()) {
    TflmKernelNeeds needs;
    needs.known = false;
    needs.unknown = "operator " + std::to_string(op) + " is out of range (the subgraph has " +
                    std::to_string(model.operators.size()) + ")";
    return needs;
  }
  Op o(model, op, kernels);
  switch (o.op().builtin) {
    case op::conv_2d:
      conv_2d(o);
      break;
    case op::depthwise_conv_2d:
      depthwise_conv_2d(o);
      break;
    case op::fully_connected:
      fully_connected(o);
      break;
    case op::average_pool_2d:
      pool_2d(o, true);
      break;
    case op::max_pool_2d:
      pool_2d(o, false);
      break;
    case op::mean:
      mean(o);
      break;
    case op::softmax:
      softmax(o);
      break;
    case op::add:
      simple(o, 2, 1, "TfLiteAddParams", 60, "OpDataAdd");
      break;
    case op::mul:
      simple(o, 1, 1, "TfLiteMulParams", 36, "OpDataMul");
      break;
    case op::reshape:
      simple(o, 36, 4, "TfLiteReshapeParams", 0, "");
      break;
    case op::concatenation:
      simple(o, 8, 4, "TfLiteConcatenationParams", 24, "OpData (concatenation)");
      break;
    case op::pad:
      simple(o, 0, 4, "", 56, "OpData (pad)");
      break;
    case op::resize_nearest_neighbor:
      simple(o, 2, 1, "TfLiteResizeNearestNeighborParams", 0, "");
      break;
    case op::split:
      simple(o, 4, 4, "TfLiteSplitParams", 0, "", 1);
      break;
    case op::slice:
      simple(o, 0, 4, "", 0, "");
      break;
    case op::hard_swish:
      simple(o, 0, 4, "", 20, "HardSwishParams");
      break;
    case op::logistic:
      simple(o, 0, 4, "", 16, "OpDataLogistic");
      break;
    case op::tanh:
      simple(o, 0, 4, "", 16, "OpDataTanh");
      break;
    case op::leaky_relu:
      simple(o, 4, 4, "TfLiteLeakyReluParams", 24, "LeakyReluOpData");
      break;
    case op::relu:
      simple(o, 0, 4, "", 28, "ReluOpData");
      break;
    case op::relu6:
      simple(o, 0, 4, "", 8, "Relu6OpData");
      break;
    case op::quantize:
      simple(o, 0, 4, "", 32, "OpDataQuantizeReference");
      break;
    case op::dequantize:
      simple(o, 0, 4, "", 32, "DequantizeOpData");
      break;
    default:
      o.fail("no TFLite Micro kernel model for builtin operator " + std::to_string(o.op().builtin));
      break;
  }
  return o.needs();
}

}  // namespace tinyscale::engine
