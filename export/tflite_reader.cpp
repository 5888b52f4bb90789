#include "export/tflite_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "core/ops.h"
#include "export/tflite_schema.h"

namespace tinyscale::exporter {
namespace {

// Bounds on what a file may declare, so that a corrupt field fails with a message instead
// of an overflow or a huge allocation.
constexpr std::size_t kMaxRank = 8;
constexpr std::int64_t kMaxDimension = std::int64_t{1} << 24;
constexpr std::int64_t kMaxWindow = 1 << 16;   // strides, dilations, pool windows
constexpr std::int64_t kMaxPadding = 1 << 20;  // PAD amounts
constexpr std::size_t kMaxInputs = 64;         // operator inputs (concat's limit)
constexpr std::size_t kMaxFileBytes = static_cast<std::size_t>(core::kMaxModelFileBytes);

constexpr const char* kSupported =
    "CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, RESHAPE, "
    "SOFTMAX, ADD, MUL, PAD, CONCATENATION, RELU, RELU6, LOGISTIC, TANH, LEAKY_RELU, HARD_SWISH, "
    "QUANTIZE, DEQUANTIZE, RESIZE_NEAREST_NEIGHBOR, SPLIT, SLICE";

using tflite::BuiltinOperator;

std::string string_or_empty(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

std::string tensor_type_name(tflite::TensorType type) {
  const char* name = tflite::EnumNameTensorType(type);
  return *name ? name : "type code " + std::to_string(static_cast<int>(type));
}

std::string operator_name(BuiltinOperator op) {
  const char* name = tflite::EnumNameBuiltinOperator(op);
  return *name ? name : "builtin operator " + std::to_string(static_cast<int>(op));
}

// The highest version of each operator tinyscale's kernels implement (versions as
// tensorflow/lite/tools/versioning/op_version.cc assigns them: a file's version is the
// oldest runtime its operator needs, so a higher one means a form the engine lacks: int16
// activations, hybrid float/int8, int4 or sparse weights, ...). Versions 1..max are read;
// the form actually used (dtypes, options) is checked tensor by tensor below. 0: tinyscale
// has no kernel for the operator at all.
int max_supported_version(BuiltinOperator op) {
  switch (op) {
    case BuiltinOperator::CONV_2D:          // 3 int8, 6 grouped; 7 int4 filter, 8 int16 bias
    case BuiltinOperator::FULLY_CONNECTED:  // 4 int8, 5 keep_num_dims, 6 no bias; 7 int16
      return 6;
    case BuiltinOperator::DEPTHWISE_CONV_2D:        // 2 dilation, 3 int8; 4 hybrid, 5 int16
    case BuiltinOperator::MUL:                      // 2 int8, 3 rescale >= 1; 4 int16
    case BuiltinOperator::RESIZE_NEAREST_NEIGHBOR:  // 2 int8, 3 half_pixel_centers; 4 int16
      return 3;
    case BuiltinOperator::AVERAGE_POOL_2D:  // 2 int8; 3 int16 (likewise below)
    case BuiltinOperator::MAX_POOL_2D:
    case BuiltinOperator::MEAN:
    case BuiltinOperator::SOFTMAX:
    case BuiltinOperator::ADD:
    case BuiltinOperator::PAD:
    case BuiltinOperator::CONCATENATION:
    case BuiltinOperator::RELU:
    case BuiltinOperator::RELU6:
    case BuiltinOperator::LOGISTIC:
    case BuiltinOperator::TANH:
    case BuiltinOperator::SPLIT:       // 2 int8; 3 int32, 4 int16
    case BuiltinOperator::DEQUANTIZE:  // 2 int8; 3 int16 / float16, 5 per-channel
      return 2;
    case BuiltinOperator::SLICE:  // 2 int8, 5 rank > 4 (3 string, 4 int16 refused by dtype)
      return 5;
    case BuiltinOperator::RESHAPE:
    case BuiltinOperator::HARD_SWISH:
    case BuiltinOperator::LEAKY_RELU:  // 2 int16
    case BuiltinOperator::QUANTIZE:    // 2 int16 output, 3 per-channel
      return 1;
    default:
      return 0;
  }
}

std::string values_text(const std::vector<std::int64_t>& values) {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

// State of one conversion: the file's tables and the graph being built.
struct Reader {
  std::string origin;
  const tflite::Model* model = nullptr;
  const tflite::SubGraph* subgraph = nullptr;
  core::Graph graph;
  std::size_t file_bytes = 0;
  std::size_t file_tensor_count = 0;
  // Per tensor: 0 unused so far, 1 used as a (transposed) depthwise filter, 2 other use.
  std::vector<std::uint8_t> role;

  [[noreturn]] void fail(const std::string& what) const { throw Error(origin + ": " + what); }
  [[noreturn]] void fail_tensor(std::size_t index, const std::string& what) const {
    fail("tensor " + std::to_string(index) + " '" + graph.tensors[index].name + "' " + what);
  }
};

// One operator being converted; `fail` names it by index and TFLite name.
struct OperatorView {
  Reader& reader;
  std::size_t index;
  std::string name;  // TFLite op name, e.g. "CONV_2D"
  const tflite::Operator* op;
  std::vector<int> inputs;  // file tensor indices, -1 for an omitted optional input
  int output = -1;          // outputs[0]
  std::vector<int> outputs;

  [[noreturn]] void fail(const std::string& what) const {
    reader.fail("operator " + std::to_string(index) + " (" + name + "): " + what);
  }
  const core::Tensor& tensor(int id) const { return reader.graph.tensor(id); }

  void expect_inputs(std::size_t min, std::size_t max) const {
    if (inputs.size() < min || inputs.size() > max) {
      fail("has " + std::to_string(inputs.size()) + " inputs, expected " +
           (min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max)));
    }
  }
  // Input i, which must be present; marks it as used by this (non-depthwise) use.
  int input(std::size_t i, const char* what) const {
    if (i >= inputs.size() || inputs[i] < 0) {
      fail("input " + std::to_string(i) + " (" + what + ") is missing");
    }
    mark_plain_use(inputs[i]);
    return inputs[i];
  }
  void mark_plain_use(int id) const {
    auto& role = reader.role[static_cast<std::size_t>(id)];
    if (role == 1) {
      fail("tensor " + std::to_string(id) + " '" + tensor(id).name +
           "' is a depthwise filter, which tinyscale stores transposed; it cannot also feed "
           "another operator");
    }
    role = 2;
  }
  // A rank-`rank` tensor input.
  int input_of_rank(std::size_t i, const char* what, std::size_t rank) const {
    const int id = input(i, what);
    if (tensor(id).shape.size() != rank) {
      fail(std::string(what) + " '" + tensor(id).name + "' must have rank " + std::to_string(rank) +
           ", got " + core::shape_string(tensor(id).shape));
    }
    return id;
  }
  // Values of a constant int32 input the op consumes as an attribute.
  std::vector<std::int64_t> constant_ints(std::size_t i, const char* what) const {
    const int id = input(i, what);
    const core::Tensor& t = tensor(id);
    if (!t.is_constant || t.dtype != core::DType::int32) {
      fail(std::string(what) + " '" + t.name + "' must be a constant int32 tensor, found " +
           (t.is_constant ? "a constant " : "a computed ") + core::dtype_name(t.dtype) + " tensor");
    }
    const auto values = t.values<std::int32_t>();
    return {values.begin(), values.end()};
  }
  // Bias (input 2) if present, for conv2d / fully_connected.
  void append_optional_bias(core::Node& node) const {
    if (inputs.size() > 2 && inputs[2] >= 0) node.inputs.push_back(input(2, "bias"));
  }
};

// ---------------------------------------------------------------- tensors

core::DType read_dtype(const Reader& r, std::size_t index, tflite::TensorType type) {
  switch (type) {
    case tflite::TensorType::INT8:
      return core::DType::int8;
    case tflite::TensorType::INT32:
      return core::DType::int32;
    case tflite::TensorType::FLOAT32:
      return core::DType::float32;
    default:
      r.fail_tensor(index, "has type " + tensor_type_name(type) +
                               "; tinyscale reads int8, int32 and float32 tensors");
  }
}

core::Shape read_shape(const Reader& r, std::size_t index, const flatbuffers::Vector<int>* dims) {
  core::Shape shape;
  if (!dims) return shape;  // rank 0: a scalar
  if (dims->size() > kMaxRank) {
    r.fail_tensor(index, "has rank " + std::to_string(dims->size()) + ", more than " +
                             std::to_string(kMaxRank));
  }
  for (const int d : *dims) {
    shape.push_back(d);
    if (d < 1 || d > kMaxDimension) {
      r.fail_tensor(index, "has dimension " + std::to_string(d) + " in its shape; dimensions " +
                               "must be 1.." + std::to_string(kMaxDimension));
    }
  }
  // Before anything is sized from it: the engine allocates every activation, the CLI every
  // input and output, from these shapes.
  const core::Tensor& tensor = r.graph.tensors[index];
  const std::int64_t bytes = core::shape_bytes(shape, core::dtype_size(tensor.dtype));
  if (bytes < 0 || bytes > core::kMaxTensorBytes) {
    r.fail(core::limit_error("tensor " + std::to_string(index) + " '" + tensor.name + "' (" +
                                 core::shape_string(shape) + " " + core::dtype_name(tensor.dtype) +
                                 ")",
                             bytes, core::kMaxTensorBytes, "kMaxTensorBytes", "for one tensor"));
  }
  return shape;
}

core::Quantization read_quantization(const Reader& r, std::size_t index, const tflite::Tensor& t) {
  core::Quantization q;
  const tflite::QuantizationParameters* params = t.quantization();
  if (!params || !params->scale() || params->scale()->size() == 0) return q;
  const core::Tensor& tensor = r.graph.tensors[index];
  if (params->details_type() != tflite::QuantizationDetails::NONE) {
    r.fail_tensor(index, "uses custom quantization details, which tinyscale does not read");
  }
  const std::size_t count = params->scale()->size();
  const std::size_t zero_count = params->zero_point() ? params->zero_point()->size() : 0;
  if (zero_count != count) {
    r.fail_tensor(index, "has " + std::to_string(count) + " quantization scales but " +
                             std::to_string(zero_count) + " zero points");
  }
  const int dimension = params->quantized_dimension();
  const bool dimension_valid =
      dimension >= 0 && static_cast<std::size_t>(dimension) < tensor.shape.size();
  if (count > 1 && (!dimension_valid || tensor.shape[static_cast<std::size_t>(dimension)] !=
                                            static_cast<std::int64_t>(count))) {
    r.fail_tensor(index, "has " + std::to_string(count) +
                             " quantization scales; per-channel quantization needs one per "
                             "entry of quantized_dimension " +
                             std::to_string(dimension) + " of shape " +
                             core::shape_string(tensor.shape));
  }
  q.axis = dimension_valid ? dimension : 0;
  for (std::size_t i = 0; i < count; ++i) {
    const float scale = params->scale()->Get(static_cast<flatbuffers::uoffset_t>(i));
    // Activations need a positive scale; a constant channel of all-zero weights may carry 0.
    if (!std::isfinite(scale) || scale < 0.0f || (scale == 0.0f && !tensor.is_constant)) {
      r.fail_tensor(index, "has quantization scale " + number_text(scale) + " at " +
                               std::to_string(i) + "; scales must be finite and positive");
    }
    // The verifier only aligns a vector's length to 4 bytes, so a corrupt file can place
    // the int64 zero points off an 8-byte boundary (found by fuzz_tflite): copied, not loaded.
    std::int64_t zero = 0;
    std::memcpy(&zero, params->zero_point()->Data() + i * sizeof zero, sizeof zero);
    zero = static_cast<std::int64_t>(flatbuffers::EndianScalar(static_cast<std::uint64_t>(zero)));
    const bool in_range = tensor.dtype == core::DType::int8
                              ? zero >= -128 && zero <= 127
                              : zero >= std::numeric_limits<std::int32_t>::min() &&
                                    zero <= std::numeric_limits<std::int32_t>::max();
    if (!in_range) {
      r.fail_tensor(index, "has zero point " + std::to_string(zero) + ", out of range for " +
                               core::dtype_name(tensor.dtype));
    }
    q.scales.push_back(scale);
    q.zero_points.push_back(zero);
  }
  return q;
}

void read_tensors(Reader& r) {
  const auto* tensors = r.subgraph->tensors();
  const auto* buffers = r.model->buffers();
  const std::size_t count = tensors ? tensors->size() : 0;
  r.file_tensor_count = count;
  r.graph.tensors.reserve(count);
  r.role.assign(count, 0);
  // Tensors may share a buffer; cap the copied total so a corrupt file cannot make the
  // reader allocate far more than the file holds.
  const std::size_t byte_budget = 16 * r.file_bytes + (std::size_t{64} << 20);
  std::size_t copied = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const tflite::Tensor& t = *tensors->Get(static_cast<flatbuffers::uoffset_t>(i));
    core::Tensor& tensor = r.graph.tensors.emplace_back();
    tensor.name = string_or_empty(t.name());
    tensor.dtype = read_dtype(r, i, t.type());
    tensor.shape = read_shape(r, i, t.shape());
    if (t.is_variable()) r.fail_tensor(i, "is a variable, which tinyscale does not support");
    if (t.sparsity()) r.fail_tensor(i, "is sparse, which tinyscale does not support");

    const std::uint32_t buffer_index = t.buffer();
    const std::size_t buffer_count = buffers ? buffers->size() : 0;
    if (buffer_index >= buffer_count && buffer_index != 0) {
      r.fail_tensor(i, "refers to buffer " + std::to_string(buffer_index) + ", but the model has " +
                           std::to_string(buffer_count) + " buffers");
    }
    const tflite::Buffer* buffer =
        buffer_index < buffer_count ? buffers->Get(buffer_index) : nullptr;
    if (buffer && buffer->offset() > 1) {
      r.fail_tensor(i,
                    "keeps its data outside the flatbuffer (models over 2 GB), which "
                    "tinyscale does not read");
    }
    if (buffer && buffer->data() && buffer->data()->size() > 0) {
      const std::size_t expected = static_cast<std::size_t>(core::num_elements(tensor.shape) *
                                                            core::dtype_size(tensor.dtype));
      const std::size_t held = buffer->data()->size();
      if (held != expected) {
        r.fail_tensor(i, "has buffer " + std::to_string(buffer_index) + " of " +
                             std::to_string(held) + " bytes, but shape " +
                             core::shape_string(tensor.shape) + " of " +
                             core::dtype_name(tensor.dtype) + " needs " + std::to_string(expected));
      }
      copied += held;
      if (copied > byte_budget) r.fail("constant tensors share buffers implausibly often");
      if (copied > static_cast<std::size_t>(core::kMaxConstantBytes)) {
        r.fail(core::limit_error("tensor " + std::to_string(i) + " '" + tensor.name +
                                     "' brings the constants to a total that",
                                 static_cast<std::int64_t>(copied), core::kMaxConstantBytes,
                                 "kMaxConstantBytes", "for a model's constants"));
      }
      tensor.is_constant = true;
      tensor.data.assign(buffer->data()->begin(), buffer->data()->end());
    }
    tensor.quantization = read_quantization(r, i, t);
  }
}

std::vector<int> read_tensor_list(const Reader& r, const flatbuffers::Vector<int>* list,
                                  const char* what) {
  std::vector<int> ids;
  if (!list) return ids;
  for (const int id : *list) {
    if (id < 0 || static_cast<std::size_t>(id) >= r.file_tensor_count) {
      r.fail(std::string(what) + " refers to tensor " + std::to_string(id) +
             ", but subgraph 0 has " + std::to_string(r.file_tensor_count) + " tensors");
    }
    const auto seen = std::find(ids.begin(), ids.end(), id);
    if (seen != ids.end()) {
      r.fail(std::string(what) + " names tensor " + std::to_string(id) + " '" +
             r.graph.tensors[static_cast<std::size_t>(id)].name + "' twice (positions " +
             std::to_string(seen - ids.begin()) + " and " + std::to_string(ids.size()) +
             "); each tensor may appear once");
    }
    ids.push_back(id);
  }
  return ids;
}

// ---------------------------------------------------------------- operator attributes

core::FusedActivation fused_activation(const OperatorView& v, tflite::ActivationFunctionType a) {
  switch (a) {
    case tflite::ActivationFunctionType::NONE:
      return core::FusedActivation::none;
    case tflite::ActivationFunctionType::RELU:
      return core::FusedActivation::relu;
    case tflite::ActivationFunctionType::RELU6:
      return core::FusedActivation::relu6;
    default: {
      const char* name = tflite::EnumNameActivationFunctionType(a);
      v.fail("fused activation " +
             (*name ? std::string(name) : "code " + std::to_string(static_cast<int>(a))) +
             " is not supported; tinyscale fuses NONE, RELU and RELU6");
    }
  }
}

int window_value(const OperatorView& v, const char* what, std::int64_t value) {
  if (value < 1 || value > kMaxWindow) {
    v.fail(std::string(what) + " is " + std::to_string(value) + "; it must be 1.." +
           std::to_string(kMaxWindow));
  }
  return static_cast<int>(value);
}

// TFLite's padding rule along one axis: SAME gives out = ceil(in / stride) and splits the
// needed padding with the smaller half first; VALID pads nothing.
std::pair<int, int> padding_amounts(const OperatorView& v, tflite::Padding padding, std::int64_t in,
                                    int kernel, int stride, int dilation) {
  if (padding == tflite::Padding::VALID) return {0, 0};
  if (padding != tflite::Padding::SAME) {
    v.fail("padding code " + std::to_string(static_cast<int>(padding)) +
           " is neither SAME nor VALID");
  }
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total =
      std::max<std::int64_t>((out - 1) * stride + std::int64_t{kernel - 1} * dilation + 1 - in, 0);
  if (total > 2 * kMaxPadding) {
    v.fail("SAME padding of " + std::to_string(total) + " is implausibly large (kernel " +
           std::to_string(kernel) + ", dilation " + std::to_string(dilation) + ", input " +
           std::to_string(in) + ")");
  }
  const std::int64_t before = total / 2;
  return {static_cast<int>(before), static_cast<int>(total - before)};
}

void set_window(const OperatorView& v, core::Attributes& a, tflite::Padding padding,
                const core::Shape& input, std::int64_t stride_h, std::int64_t stride_w,
                std::int64_t dilation_h, std::int64_t dilation_w) {
  a.stride_h = window_value(v, "stride_h", stride_h);
  a.stride_w = window_value(v, "stride_w", stride_w);
  a.dilation_h = window_value(v, "dilation_h_factor", dilation_h);
  a.dilation_w = window_value(v, "dilation_w_factor", dilation_w);
  std::tie(a.pad_top, a.pad_bottom) =
      padding_amounts(v, padding, input[1], a.kernel_h, a.stride_h, a.dilation_h);
  std::tie(a.pad_left, a.pad_right) =
      padding_amounts(v, padding, input[2], a.kernel_w, a.stride_w, a.dilation_w);
}

template <typename Options>
const Options& required_options(const OperatorView& v, const Options* options, const char* table) {
  if (!options)
    v.fail(std::string("has no ") + table + " (builtin_options missing or of another type)");
  return *options;
}

// ---------------------------------------------------------------- operators

void map_conv2d(const OperatorView& v, core::Node& node) {
  v.expect_inputs(2, 3);
  const auto& o = required_options(v, v.op->builtin_options_as_Conv2DOptions(), "Conv2DOptions");
  const int x = v.input_of_rank(0, "input", 4);
  const int w = v.input_of_rank(1, "filter", 4);
  const core::Shape& xs = v.tensor(x).shape;
  const core::Shape& ws = v.tensor(w).shape;
  if (xs[3] % ws[3] != 0) {
    v.fail("filter " + core::shape_string(ws) + " has " + std::to_string(ws[3]) +
           " input channels, which does not divide the input's " + std::to_string(xs[3]));
  }
  node.op = core::OpType::conv2d;
  node.inputs = {x, w};
  v.append_optional_bias(node);
  core::Attributes& a = node.attrs;
  a.groups = static_cast<int>(xs[3] / ws[3]);
  a.kernel_h = static_cast<int>(ws[1]);
  a.kernel_w = static_cast<int>(ws[2]);
  set_window(v, a, o.padding(), xs, o.stride_h(), o.stride_w(), o.dilation_h_factor(),
             o.dilation_w_factor());
  a.fused_activation = fused_activation(v, o.fused_activation_function());
}

// TFLite's depthwise filter [1, kh, kw, C·m] becomes tinyscale's grouped-conv filter
// [C·m, kh, kw, 1] in place, so the tensor keeps its file index.
void transpose_depthwise_filter(const OperatorView& v, int id) {
  core::Tensor& t = v.reader.graph.tensor(id);
  const auto kh = static_cast<std::size_t>(t.shape[1]);
  const auto kw = static_cast<std::size_t>(t.shape[2]);
  const auto channels = static_cast<std::size_t>(t.shape[3]);
  const auto element = static_cast<std::size_t>(core::dtype_size(t.dtype));
  std::vector<std::uint8_t> transposed(t.data.size());
  for (std::size_t y = 0; y < kh; ++y) {
    for (std::size_t x = 0; x < kw; ++x) {
      for (std::size_t c = 0; c < channels; ++c) {
        const std::size_t from = ((y * kw) + x) * channels + c;
        const std::size_t to = (c * kh + y) * kw + x;
        std::memcpy(&transposed[to * element], &t.data[from * element], element);
      }
    }
  }
  t.data = std::move(transposed);
  t.shape = {t.shape[3], t.shape[1], t.shape[2], 1};
  if (t.quantization.per_channel() || t.quantization.axis == 3) t.quantization.axis = 0;
}

void map_depthwise_conv2d(const OperatorView& v, core::Node& node) {
  v.expect_inputs(2, 3);
  const auto& o = required_options(v, v.op->builtin_options_as_DepthwiseConv2DOptions(),
                                   "DepthwiseConv2DOptions");
  const int x = v.input_of_rank(0, "input", 4);
  if (v.inputs[1] < 0) v.fail("input 1 (filter) is missing");
  const int w = v.inputs[1];
  auto& role = v.reader.role[static_cast<std::size_t>(w)];
  if (role == 2) {
    v.fail("filter '" + v.tensor(w).name +
           "' also feeds another operator; tinyscale stores "
           "depthwise filters transposed and cannot share them");
  }
  const core::Tensor& filter = v.tensor(w);
  if (role == 0) {
    if (!filter.is_constant) v.fail("filter '" + filter.name + "' must be a constant tensor");
    if (filter.shape.size() != 4 || filter.shape[0] != 1) {
      v.fail("filter '" + filter.name + "' must have shape [1, kh, kw, channels], got " +
             core::shape_string(filter.shape));
    }
    if (filter.quantization.per_channel() && filter.quantization.axis != 3) {
      v.fail("filter '" + filter.name + "' is quantized per channel along dimension " +
             std::to_string(filter.quantization.axis) + ", expected 3");
    }
  }
  const core::Shape& xs = v.tensor(x).shape;
  const std::int64_t out_channels = role == 0 ? filter.shape[3] : filter.shape[0];
  if (out_channels % xs[3] != 0) {
    v.fail("filter has " + std::to_string(out_channels) +
           " channels, not a multiple of the input's " + std::to_string(xs[3]));
  }
  if (role == 0) transpose_depthwise_filter(v, w);
  role = 1;
  node.op = core::OpType::conv2d;
  node.inputs = {x, w};
  v.append_optional_bias(node);
  core::Attributes& a = node.attrs;
  a.groups = static_cast<int>(xs[3]);
  a.kernel_h = static_cast<int>(v.tensor(w).shape[1]);
  a.kernel_w = static_cast<int>(v.tensor(w).shape[2]);
  set_window(v, a, o.padding(), xs, o.stride_h(), o.stride_w(), o.dilation_h_factor(),
             o.dilation_w_factor());
  a.fused_activation = fused_activation(v, o.fused_activation_function());
}

void map_fully_connected(const OperatorView& v, core::Node& node) {
  v.expect_inputs(2, 3);
  node.op = core::OpType::fully_connected;
  node.inputs = {v.input(0, "input"), v.input(1, "weights")};
  v.append_optional_bias(node);
  if (const tflite::FullyConnectedOptions* o = v.op->builtin_options_as_FullyConnectedOptions()) {
    if (o->weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT) {
      v.fail("weights_format " + std::to_string(static_cast<int>(o->weights_format())) +
             " is not supported; tinyscale reads DEFAULT only");
    }
    node.attrs.keep_num_dims = o->keep_num_dims();
    node.attrs.fused_activation = fused_activation(v, o->fused_activation_function());
  } else {
    node.attrs.keep_num_dims = false;
  }
}

void map_pool(const OperatorView& v, core::Node& node, core::OpType op) {
  v.expect_inputs(1, 1);
  const auto& o = required_options(v, v.op->builtin_options_as_Pool2DOptions(), "Pool2DOptions");
  const int x = v.input_of_rank(0, "input", 4);
  node.op = op;
  node.inputs = {x};
  core::Attributes& a = node.attrs;
  a.kernel_h = window_value(v, "filter_height", o.filter_height());
  a.kernel_w = window_value(v, "filter_width", o.filter_width());
  set_window(v, a, o.padding(), v.tensor(x).shape, o.stride_h(), o.stride_w(), 1, 1);
  a.fused_activation = fused_activation(v, o.fused_activation_function());
}

void map_mean(const OperatorView& v, core::Node& node) {
  v.expect_inputs(2, 2);
  const int x = v.input(0, "input");
  std::vector<std::int64_t> axes = v.constant_ints(1, "axes");
  const tflite::ReducerOptions* o = v.op->builtin_options_as_ReducerOptions();
  const bool keep_dims = o && o->keep_dims();
  const auto rank = static_cast<std::int64_t>(v.tensor(x).shape.size());
  for (std::int64_t& axis : axes) axis = axis < 0 ? axis + rank : axis;
  std::sort(axes.begin(), axes.end());
  if (rank != 4 || axes != std::vector<std::int64_t>{1, 2} || !keep_dims) {
    v.fail("MEAN over axes " + values_text(v.constant_ints(1, "axes")) + " of a rank-" +
           std::to_string(rank) + " input with keep_dims " + (keep_dims ? "true" : "false") +
           " is not supported; tinyscale reads MEAN only as global average pooling (4-D "
           "input, constant axes [1, 2], keep_dims true)");
  }
  node.op = core::OpType::global_avg_pool;
  node.inputs = {x};
}

void map_pad(const OperatorView& v, core::Node& node) {
  v.expect_inputs(2, 2);
  const int x = v.input_of_rank(0, "input", 4);
  const std::vector<std::int64_t> p = v.constant_ints(1, "paddings");
  const core::Shape& ps = v.tensor(v.inputs[1]).shape;
  const bool ok =
      ps == core::Shape{4, 2} && p[0] == 0 && p[1] == 0 && p[6] == 0 && p[7] == 0 &&
      std::all_of(p.begin(), p.end(), [](std::int64_t d) { return d >= 0 && d <= kMaxPadding; });
  if (!ok) {
    v.fail("paddings " + values_text(p) + " (shape " + core::shape_string(ps) +
           ") are not supported; tinyscale pads height and width only: [[0, 0], [top, bottom], "
           "[left, right], [0, 0]] with amounts 0.." +
           std::to_string(kMaxPadding));
  }
  node.op = core::OpType::pad;
  node.inputs = {x};
  core::Attributes& a = node.attrs;
  a.pad_top = static_cast<int>(p[2]);
  a.pad_bottom = static_cast<int>(p[3]);
  a.pad_left = static_cast<int>(p[4]);
  a.pad_right = static_cast<int>(p[5]);
  a.pad_value = 0.0f;  // real zero, i.e. the zero point of a quantized tensor
}

void map_resize_nearest(const OperatorView& v, core::Node& node) {
  v.expect_inputs(2, 2);
  const int x = v.input_of_rank(0, "input", 4);
  const std::vector<std::int64_t> size = v.constant_ints(1, "size");
  if (const auto* o = v.op->builtin_options_as_ResizeNearestNeighborOptions()) {
    // half_pixel_centers picks floor((o + 0.5) / s) = floor(o / s) for an integer factor s,
    // the same source pixel; align_corners changes the mapping.
    if (o->align_corners()) v.fail("align_corners true is not supported");
  }
  const core::Shape& xs = v.tensor(x).shape;
  if (size.size() != 2 || size[0] < xs[1] || size[1] < xs[2] || size[0] % xs[1] != 0 ||
      size[1] % xs[2] != 0 || size[0] / xs[1] > kMaxWindow || size[1] / xs[2] > kMaxWindow) {
    v.fail("size " + values_text(size) + " is not an integer upscaling of " +
           std::to_string(xs[1]) + "x" + std::to_string(xs[2]) +
           "; tinyscale resizes by integer factors only");
  }
  node.op = core::OpType::resize_nearest;
  node.inputs = {x};
  node.attrs.scale_h = static_cast<int>(size[0] / xs[1]);
  node.attrs.scale_w = static_cast<int>(size[1] / xs[2]);
}

void map_concat(const OperatorView& v, core::Node& node) {
  v.expect_inputs(1, kMaxInputs);
  const auto& o =
      required_options(v, v.op->builtin_options_as_ConcatenationOptions(), "ConcatenationOptions");
  node.op = core::OpType::concat;
  for (std::size_t i = 0; i < v.inputs.size(); ++i) node.inputs.push_back(v.input(i, "values"));
  node.attrs.axis = o.axis();
  node.attrs.fused_activation = fused_activation(v, o.fused_activation_function());
}

// SPLIT: the axis is a constant int32 input 0, the data input 1; the parts are equal.
void map_split(const OperatorView& v, core::Node& node) {
  v.expect_inputs(2, 2);
  const std::vector<std::int64_t> axis = v.constant_ints(0, "axis");
  const int x = v.input(1, "input");
  const auto rank = static_cast<std::int64_t>(v.tensor(x).shape.size());
  if (axis.size() != 1 || axis[0] < -rank || axis[0] >= rank) {
    v.fail("axis " + values_text(axis) + " is not one axis of the rank-" + std::to_string(rank) +
           " input");
  }
  if (const auto* o = v.op->builtin_options_as_SplitOptions();
      o && o->num_splits() != static_cast<int>(v.outputs.size())) {
    v.fail("num_splits " + std::to_string(o->num_splits()) + " differs from its " +
           std::to_string(v.outputs.size()) + " outputs");
  }
  node.op = core::OpType::split;
  node.inputs = {x};
  node.attrs.axis = static_cast<int>(axis[0] < 0 ? axis[0] + rank : axis[0]);
}

// SLICE: constant int32 begin (input 1) and size (input 2), one entry per input axis; a size
// of -1 runs to the end of the axis (TFLite's convention).
void map_slice(const OperatorView& v, core::Node& node) {
  v.expect_inputs(3, 3);
  const int x = v.input(0, "input");
  const core::Shape& shape = v.tensor(x).shape;
  core::Shape begin = v.constant_ints(1, "begin");
  core::Shape size = v.constant_ints(2, "size");
  bool ok = begin.size() == shape.size() && size.size() == shape.size();
  for (std::size_t d = 0; ok && d < shape.size(); ++d) {
    if (size[d] == -1 && begin[d] >= 0 && begin[d] < shape[d]) size[d] = shape[d] - begin[d];
    ok = begin[d] >= 0 && size[d] >= 1 && size[d] <= shape[d] - begin[d];
  }
  if (!ok) {
    v.fail("begin " + values_text(v.constant_ints(1, "begin")) + " and size " +
           values_text(v.constant_ints(2, "size")) + " do not select a non-empty block of the " +
           core::shape_string(shape) + " input");
  }
  node.op = core::OpType::slice;
  node.inputs = {x};
  node.attrs.slice_begin = std::move(begin);
  node.attrs.slice_size = std::move(size);
}

void map_binary(const OperatorView& v, core::Node& node, core::OpType op,
                tflite::ActivationFunctionType activation) {
  v.expect_inputs(2, 2);
  node.op = op;
  node.inputs = {v.input(0, "lhs"), v.input(1, "rhs")};
  node.attrs.fused_activation = fused_activation(v, activation);
}

void map_unary(const OperatorView& v, core::Node& node, core::OpType op) {
  v.expect_inputs(1, 1);
  node.op = op;
  node.inputs = {v.input(0, "input")};
}

void map_operator(const OperatorView& v, BuiltinOperator builtin, core::Node& node) {
  const tflite::Operator& op = *v.op;
  switch (builtin) {
    case BuiltinOperator::CONV_2D:
      return map_conv2d(v, node);
    case BuiltinOperator::DEPTHWISE_CONV_2D:
      return map_depthwise_conv2d(v, node);
    case BuiltinOperator::FULLY_CONNECTED:
      return map_fully_connected(v, node);
    case BuiltinOperator::AVERAGE_POOL_2D:
      return map_pool(v, node, core::OpType::avg_pool);
    case BuiltinOperator::MAX_POOL_2D:
      return map_pool(v, node, core::OpType::max_pool);
    case BuiltinOperator::MEAN:
      return map_mean(v, node);
    case BuiltinOperator::RESHAPE:
      // The target shape is the output tensor's; the optional shape input is not read.
      v.expect_inputs(1, 2);
      node.op = core::OpType::reshape;
      node.inputs = {v.input(0, "input")};
      node.attrs.new_shape = v.tensor(v.output).shape;
      return;
    case BuiltinOperator::SOFTMAX: {
      const auto& o = required_options(v, op.builtin_options_as_SoftmaxOptions(), "SoftmaxOptions");
      if (!std::isfinite(o.beta())) v.fail("beta " + number_text(o.beta()) + " is not finite");
      map_unary(v, node, core::OpType::softmax);
      node.attrs.axis = -1;
      node.attrs.softmax_beta = o.beta();
      return;
    }
    case BuiltinOperator::ADD: {
      const auto* o = op.builtin_options_as_AddOptions();
      return map_binary(v, node, core::OpType::add,
                        o ? o->fused_activation_function() : tflite::ActivationFunctionType::NONE);
    }
    case BuiltinOperator::MUL: {
      const auto* o = op.builtin_options_as_MulOptions();
      return map_binary(v, node, core::OpType::mul,
                        o ? o->fused_activation_function() : tflite::ActivationFunctionType::NONE);
    }
    case BuiltinOperator::PAD:
      return map_pad(v, node);
    case BuiltinOperator::CONCATENATION:
      return map_concat(v, node);
    case BuiltinOperator::RELU:
      return map_unary(v, node, core::OpType::relu);
    case BuiltinOperator::RELU6:
      map_unary(v, node, core::OpType::clip);
      node.attrs.clip_min = 0.0f;
      node.attrs.clip_max = 6.0f;
      return;
    case BuiltinOperator::LOGISTIC:
      return map_unary(v, node, core::OpType::sigmoid);
    case BuiltinOperator::TANH:
      return map_unary(v, node, core::OpType::tanh);
    case BuiltinOperator::LEAKY_RELU: {
      const auto& o =
          required_options(v, op.builtin_options_as_LeakyReluOptions(), "LeakyReluOptions");
      if (!std::isfinite(o.alpha())) v.fail("alpha " + number_text(o.alpha()) + " is not finite");
      map_unary(v, node, core::OpType::leaky_relu);
      node.attrs.leaky_alpha = o.alpha();
      return;
    }
    case BuiltinOperator::HARD_SWISH:
      return map_unary(v, node, core::OpType::hard_swish);
    case BuiltinOperator::QUANTIZE:
      return map_unary(v, node, core::OpType::quantize);
    case BuiltinOperator::DEQUANTIZE:
      return map_unary(v, node, core::OpType::dequantize);
    case BuiltinOperator::RESIZE_NEAREST_NEIGHBOR:
      return map_resize_nearest(v, node);
    case BuiltinOperator::SPLIT:
      return map_split(v, node);
    case BuiltinOperator::SLICE:
      return map_slice(v, node);
    default:
      break;
  }
  const auto* codes = v.reader.model->operator_codes();
  const int version = codes->Get(op.opcode_index())->version();
  v.reader.fail("operator " + std::to_string(v.index) + " is " + v.name + " (version " +
                std::to_string(version) +
                "), which tinyscale cannot run; supported: " + kSupported);
}

void read_operators(Reader& r) {
  const auto* operators = r.subgraph->operators();
  if (!operators) return;
  const auto* codes = r.model->operator_codes();
  const std::size_t code_count = codes ? codes->size() : 0;
  r.graph.nodes.reserve(operators->size());
  for (std::size_t k = 0; k < operators->size(); ++k) {
    const tflite::Operator* op = operators->Get(static_cast<flatbuffers::uoffset_t>(k));
    if (op->opcode_index() >= code_count) {
      r.fail("operator " + std::to_string(k) + " uses operator code " +
             std::to_string(op->opcode_index()) + ", but the model has " +
             std::to_string(code_count) + " operator codes");
    }
    const tflite::OperatorCode* code = codes->Get(op->opcode_index());
    // schema v3a: the int8 field holds codes below 127, the int32 field any code; writers
    // fill the one they know and readers take the larger.
    const auto builtin = std::max(code->builtin_code(),
                                  static_cast<BuiltinOperator>(code->deprecated_builtin_code()));
    if (builtin == BuiltinOperator::CUSTOM) {
      r.fail("operator " + std::to_string(k) + " is custom op '" +
             string_or_empty(code->custom_code()) + "' (version " +
             std::to_string(code->version()) +
             "), which tinyscale cannot run; supported: " + kSupported);
    }
    OperatorView v{r, k, operator_name(builtin), op, {}, -1};
    const int max_version = max_supported_version(builtin);
    if (max_version > 0 && (code->version() < 1 || code->version() > max_version)) {
      v.fail("version " + std::to_string(code->version()) +
             " is not supported; tinyscale's kernel implements versions 1.." +
             std::to_string(max_version) + " of " + v.name);
    }
    if (op->inputs()) {
      if (op->inputs()->size() > kMaxInputs) {
        v.fail("has " + std::to_string(op->inputs()->size()) + " inputs, more than " +
               std::to_string(kMaxInputs));
      }
      for (const int id : *op->inputs()) {
        if (id < -1 || id >= static_cast<int>(r.file_tensor_count)) {
          v.fail("input refers to tensor " + std::to_string(id) + ", but subgraph 0 has " +
                 std::to_string(r.file_tensor_count) + " tensors");
        }
        v.inputs.push_back(id);
      }
    }
    const std::size_t output_count = op->outputs() ? op->outputs()->size() : 0;
    const std::size_t max_outputs =
        builtin == BuiltinOperator::SPLIT ? static_cast<std::size_t>(core::kMaxSplitOutputs) : 1;
    if (output_count < 1 || output_count > max_outputs) {
      v.fail("has " + std::to_string(output_count) + " outputs, expected " +
             (max_outputs == 1 ? std::string("1") : "1.." + std::to_string(max_outputs)));
    }
    for (const int id : *op->outputs()) {
      if (id < 0 || id >= static_cast<int>(r.file_tensor_count)) {
        v.fail("output refers to tensor " + std::to_string(id) + ", but subgraph 0 has " +
               std::to_string(r.file_tensor_count) + " tensors");
      }
      if (r.graph.tensor(id).is_constant) {
        v.fail("output tensor " + std::to_string(id) + " '" + r.graph.tensor(id).name +
               "' holds constant data");
      }
      v.outputs.push_back(id);
    }
    v.output = v.outputs[0];
    core::Node node;
    map_operator(v, builtin, node);
    const std::string& output_name = r.graph.tensor(v.output).name;
    node.name = output_name.empty() ? v.name + "_" + std::to_string(k) : output_name;
    node.outputs = v.outputs;
    r.graph.nodes.push_back(std::move(node));
  }
}

// Model.metadata entries TFLite's converter writes about its own output (the runtime version
// its operators need, how it converted). They would be stale for a file tinyscale rewrites,
// so the reader drops them; every other entry is kept, in file order.
bool is_converter_metadata(const std::string& name) {
  return name == "min_runtime_version" || name == "CONVERSION_METADATA";
}

void read_metadata(Reader& r) {
  const auto* entries = r.model->metadata();
  if (!entries) return;
  const auto* buffers = r.model->buffers();
  const std::size_t buffer_count = buffers ? buffers->size() : 0;
  std::size_t copied = 0;
  for (std::size_t k = 0; k < entries->size(); ++k) {
    const tflite::Metadata* m = entries->Get(static_cast<flatbuffers::uoffset_t>(k));
    const std::string name = string_or_empty(m->name());
    const std::string what = "metadata entry " + std::to_string(k) + " '" + name + "'";
    if (name.empty()) r.fail("metadata entry " + std::to_string(k) + " has no name");
    if (m->buffer() >= buffer_count) {
      r.fail(what + " refers to buffer " + std::to_string(m->buffer()) + ", but the model has " +
             std::to_string(buffer_count) + " buffers");
    }
    const tflite::Buffer* buffer = buffers->Get(m->buffer());
    if (buffer->offset() > 1) {
      r.fail(what + " keeps its data outside the flatbuffer, which tinyscale does not read");
    }
    if (is_converter_metadata(name)) continue;
    core::MetadataEntry& entry = r.graph.metadata.emplace_back();
    entry.name = name;
    if (buffer->data()) {
      // Entries may share a buffer; never copy more than the file holds in total.
      copied += buffer->data()->size();
      if (copied > r.file_bytes) {
        r.fail(what + ": metadata entries refer to more bytes than the file holds");
      }
      entry.bytes.assign(buffer->data()->begin(), buffer->data()->end());
    }
  }
}

}  // namespace

const char* tflite_supported_operators() { return kSupported; }

core::Graph read_tflite_buffer(std::span<const std::uint8_t> bytes, const std::string& origin) {
  if (bytes.empty()) throw Error(origin + ": file is empty");
  if (bytes.size() < 8) {
    throw Error(origin + ": " + std::to_string(bytes.size()) +
                " bytes is too short for a TFLite flatbuffer");
  }
  if (bytes.size() > kMaxFileBytes) {
    throw Error(core::limit_error(origin, static_cast<std::int64_t>(bytes.size()),
                                  core::kMaxModelFileBytes, "kMaxModelFileBytes",
                                  "for a model file"));
  }
  if (std::memcmp(bytes.data() + 4, tflite::ModelIdentifier(), 4) != 0) {
    std::string found;
    for (std::size_t i = 4; i < 8; ++i) {
      const auto c = static_cast<char>(bytes[i]);
      found += (c >= 32 && c < 127) ? c : '?';
    }
    throw Error(origin + ": not a TFLite model: file identifier is '" + found +
                "', expected 'TFL3'");
  }
  // Flatbuffer accessors load scalars in place; an 8-byte aligned copy keeps them aligned
  // whatever the caller's span points at.
  std::vector<std::uint64_t> storage((bytes.size() + 7) / 8);
  std::memcpy(storage.data(), bytes.data(), bytes.size());
  const auto* data = reinterpret_cast<const std::uint8_t*>(storage.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!tflite::VerifyModelBuffer(verifier)) {
    throw Error(origin +
                ": corrupt TFLite file: the flatbuffer fails verification (truncated "
                "or damaged)");
  }

  Reader r;
  r.origin = origin;
  r.file_bytes = bytes.size();
  r.model = tflite::GetModel(data);
  if (r.model->version() != 3) {
    r.fail("schema version " + std::to_string(r.model->version()) +
           " is not supported; tinyscale reads version 3");
  }
  if (!r.model->subgraphs() || r.model->subgraphs()->size() == 0) r.fail("has no subgraph 0");
  r.subgraph = r.model->subgraphs()->Get(0);

  read_tensors(r);
  r.graph.inputs = read_tensor_list(r, r.subgraph->inputs(), "subgraph input list");
  r.graph.outputs = read_tensor_list(r, r.subgraph->outputs(), "subgraph output list");
  if (r.graph.inputs.empty()) r.fail("subgraph 0 has no inputs");
  if (r.graph.outputs.empty()) r.fail("subgraph 0 has no outputs");
  read_operators(r);
  read_metadata(r);
  try {
    r.graph.validate();
  } catch (const Error& e) {
    r.fail(std::string("the converted graph is invalid: ") + e.what());
  }
  return std::move(r.graph);
}

core::Graph read_tflite(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) throw Error(path + ": cannot open the file");
  const std::streamoff size = file.tellg();
  if (size < 0) throw Error(path + ": cannot read the file size");
  if (static_cast<std::uint64_t>(size) > kMaxFileBytes) {
    throw Error(core::limit_error(path, size, core::kMaxModelFileBytes, "kMaxModelFileBytes",
                                  "for a model file"));
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  file.seekg(0);
  if (!file.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw Error(path + ": cannot read the file");
  }
  return read_tflite_buffer(bytes, path);
}

}  // namespace tinyscale::exporter
