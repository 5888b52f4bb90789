#include "export/tflite_writer.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/ops.h"
#include "export/quantizer.h"
#include "export/tflite_file.h"
#include "export/tflite_schema.h"

namespace tinyscale::exporter {
namespace {

using detail::FileDescription;
using detail::FileOperator;
using detail::FileOptions;
using detail::FileTensor;
using tflite::BuiltinOperator;
using tflite::BuiltinOptions;

tflite::TensorType tensor_type(core::DType dtype) {
  switch (dtype) {
    case core::DType::int8:
      return tflite::TensorType::INT8;
    case core::DType::int32:
      return tflite::TensorType::INT32;
    case core::DType::float32:
      return tflite::TensorType::FLOAT32;
  }
  return tflite::TensorType::FLOAT32;
}

tflite::ActivationFunctionType activation(core::FusedActivation a) {
  switch (a) {
    case core::FusedActivation::relu:
      return tflite::ActivationFunctionType::RELU;
    case core::FusedActivation::relu6:
      return tflite::ActivationFunctionType::RELU6;
    case core::FusedActivation::none:
      break;
  }
  return tflite::ActivationFunctionType::NONE;
}

// TFLite's SAME rule along one axis (as the reader applies it): out = ceil(in / stride),
// the needed padding split with the smaller half first.
std::pair<int, int> same_padding(std::int64_t in, int kernel, int stride, int dilation) {
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total =
      std::max<std::int64_t>((out - 1) * stride + std::int64_t{kernel - 1} * dilation + 1 - in, 0);
  return {static_cast<int>(total / 2), static_cast<int>(total - total / 2)};
}

// SAME or VALID if one of them gives exactly the node's explicit pads.
std::optional<tflite::Padding> implicit_padding(const core::Attributes& a, const core::Shape& x,
                                                int dilation_h, int dilation_w) {
  const auto [top, bottom] = same_padding(x[1], a.kernel_h, a.stride_h, dilation_h);
  const auto [left, right] = same_padding(x[2], a.kernel_w, a.stride_w, dilation_w);
  if (a.pad_top == top && a.pad_bottom == bottom && a.pad_left == left && a.pad_right == right) {
    return tflite::Padding::SAME;
  }
  if (a.pad_top == 0 && a.pad_bottom == 0 && a.pad_left == 0 && a.pad_right == 0) {
    return tflite::Padding::VALID;
  }
  return std::nullopt;
}

std::vector<std::uint8_t> int32_bytes(const std::vector<std::int32_t>& values) {
  std::vector<std::uint8_t> bytes(values.size() * sizeof(std::int32_t));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// Builds the FileDescription of a graph (see detail::describe_tflite).
class Describer {
 public:
  Describer(const core::Graph& graph, bool with_data, bool validate)
      : g_(graph), with_data_(with_data), validate_(validate) {}

  FileDescription describe() {
    if (validate_) {
      try {
        g_.validate();
      } catch (const Error& e) {
        throw Error(std::string("write_tflite: the graph is invalid: ") + e.what());
      }
    }
    if (g_.inputs.empty() || g_.outputs.empty()) {
      throw Error("write_tflite: the graph needs at least one input and one output");
    }
    find_roles();
    d_.tensors.reserve(g_.tensors.size() + g_.nodes.size());
    d_.operators.reserve(g_.nodes.size() + 8);
    add_graph_tensors();
    for (std::size_t k = 0; k < g_.nodes.size(); ++k) write_node(k);
    d_.inputs = g_.inputs;
    d_.outputs = g_.outputs;
    for (std::size_t k = 0; k < g_.metadata.size(); ++k) {
      const core::MetadataEntry& entry = g_.metadata[k];
      if (entry.name.empty()) {
        throw Error("write_tflite: metadata entry " + std::to_string(k) + " has no name");
      }
      d_.metadata.push_back({entry.name, entry.bytes.size(), &entry.bytes});
    }
    // Operator codes: one per builtin, at the highest version any use needs.
    std::map<BuiltinOperator, std::size_t> code_index;
    for (const FileOperator& op : d_.operators) {
      const auto [it, inserted] = code_index.emplace(op.op, d_.codes.size());
      if (inserted) d_.codes.emplace_back(op.op, op.version);
      d_.codes[it->second].second = std::max(d_.codes[it->second].second, op.version);
      d_.code_of.push_back(static_cast<std::uint32_t>(it->second));
    }
    return std::move(d_);
  }

 private:
  [[noreturn]] void fail(std::size_t k, const std::string& what) const {
    const core::Node& n = g_.nodes[k];
    throw Error("write_tflite: node " + std::to_string(k) + " '" + n.name + "' (" +
                core::op_name(n.op) + "): " + what);
  }

  // Which tensors are depthwise filters (stored transposed) and which constants no node
  // reads (candidates for an op's constant operand).
  void find_roles() {
    const std::size_t count = g_.tensors.size();
    depthwise_filter_.assign(count, false);
    read_.assign(count, false);
    for (std::size_t k = 0; k < g_.nodes.size(); ++k) {
      const core::Node& n = g_.nodes[k];
      for (const int id : n.inputs) read_[static_cast<std::size_t>(id)] = true;
      if (is_depthwise(n)) depthwise_filter_[static_cast<std::size_t>(n.inputs[1])] = true;
    }
    for (std::size_t i = 0; i < count; ++i) {
      const core::Tensor& t = g_.tensors[i];
      if (!read_[i] && t.is_constant && t.dtype == core::DType::int32) unread_int32_.push_back(i);
    }
    for (std::size_t k = 0; k < g_.nodes.size(); ++k) {
      const core::Node& n = g_.nodes[k];
      for (std::size_t i = 0; i < n.inputs.size(); ++i) {
        const auto id = static_cast<std::size_t>(n.inputs[i]);
        if (depthwise_filter_[id] && !(is_depthwise(n) && i == 1)) {
          fail(k, "tensor '" + g_.tensors[id].name +
                      "' is a depthwise filter, which TFLite stores transposed; it cannot "
                      "also feed this node");
        }
      }
    }
  }

  bool is_depthwise(const core::Node& n) const {
    if (n.op != core::OpType::conv2d || n.attrs.groups <= 1) return false;
    const core::Shape& x = g_.tensor(n.inputs[0]).shape;
    const core::Shape& w = g_.tensor(n.inputs[1]).shape;
    return n.attrs.groups == x[3] && w[3] == 1;
  }

  void add_graph_tensors() {
    for (std::size_t i = 0; i < g_.tensors.size(); ++i) {
      const core::Tensor& t = g_.tensors[i];
      FileTensor& f = d_.tensors.emplace_back();
      f.name = t.name;
      f.shape.reserve(t.shape.size());
      for (const std::int64_t d : t.shape) f.shape.push_back(static_cast<std::int32_t>(d));
      f.type = tensor_type(t.dtype);
      f.constant = t.is_constant;
      f.quantization = &t.quantization;
      f.quantized_dimension = t.quantization.axis;
      if (!t.is_constant) continue;
      if (depthwise_filter_[i]) {
        // [C·m, kh, kw, 1] -> [1, kh, kw, C·m]: the inverse of the reader's transpose.
        f.shape = {1, static_cast<std::int32_t>(t.shape[1]), static_cast<std::int32_t>(t.shape[2]),
                   static_cast<std::int32_t>(t.shape[0])};
        if (f.quantized_dimension == 0) f.quantized_dimension = 3;
      }
      if (!with_data_) {
        f.bytes = t.has_data() ? static_cast<std::int64_t>(t.data.size())
                               : core::num_elements(t.shape) * core::dtype_size(t.dtype);
        continue;
      }
      if (!t.has_data()) {
        throw Error("write_tflite: constant tensor " + std::to_string(i) + " '" + t.name +
                    "' has no data (shape only); materialize the weights first");
      }
      f.bytes = static_cast<std::int64_t>(t.data.size());
      if (!depthwise_filter_[i]) {
        f.data = t.data;
        continue;
      }
      const auto channels = static_cast<std::size_t>(t.shape[0]);
      const auto kh = static_cast<std::size_t>(t.shape[1]);
      const auto kw = static_cast<std::size_t>(t.shape[2]);
      const auto element = static_cast<std::size_t>(core::dtype_size(t.dtype));
      f.data.resize(t.data.size());
      for (std::size_t c = 0; c < channels; ++c) {
        for (std::size_t y = 0; y < kh; ++y) {
          for (std::size_t x = 0; x < kw; ++x) {
            const std::size_t from = (c * kh + y) * kw + x;
            const std::size_t to = (y * kw + x) * channels + c;
            std::memcpy(&f.data[to * element], &t.data[from * element], element);
          }
        }
      }
    }
  }

  // The id of an int32 constant holding `values` with `shape`: a constant of the graph that
  // no node reads and that `fits`, else a new tensor named `name`.
  int int32_constant(const std::string& name, const std::vector<std::int32_t>& shape,
                     const std::vector<std::int32_t>& values,
                     const std::function<bool(std::span<const std::int32_t>)>& fits) {
    for (const std::size_t i : unread_int32_) {
      const core::Tensor& t = g_.tensors[i];
      if (d_.tensors[i].shape == shape && fits(t.values<std::int32_t>())) {
        return static_cast<int>(i);
      }
    }
    FileTensor& f = d_.tensors.emplace_back();
    f.name = d_.names.emplace_back(name);
    f.shape = shape;
    f.type = tflite::TensorType::INT32;
    f.constant = true;
    f.data = int32_bytes(values);
    f.bytes = static_cast<std::int64_t>(f.data.size());
    return static_cast<int>(d_.tensors.size() - 1);
  }
  int int32_constant(const std::string& name, const std::vector<std::int32_t>& shape,
                     const std::vector<std::int32_t>& values) {
    return int32_constant(name, shape, values, [&](std::span<const std::int32_t> held) {
      return std::equal(held.begin(), held.end(), values.begin(), values.end());
    });
  }

  void add_operator(BuiltinOperator op, int version, std::vector<int> inputs, int output,
                    FileOptions options = {}) {
    d_.operators.push_back({op, version, std::move(inputs), {output}, std::move(options)});
  }
  static FileOptions options_of(BuiltinOptions type) {
    FileOptions o;
    o.type = type;
    return o;
  }

  // Every activation a node reads or writes must be int8 (quantize reads float or int8,
  // dequantize writes float): the writer emits int8 graphs only.
  void check_int8(std::size_t k) const {
    const core::Node& n = g_.nodes[k];
    auto require = [&](int id, const char* role) {
      const core::Tensor& t = g_.tensor(id);
      if (t.dtype != core::DType::int8) {
        fail(k, std::string(role) + " '" + t.name + "' is " + core::dtype_name(t.dtype) +
                    "; write_tflite writes int8 graphs only (quantize the graph first)");
      }
    };
    const bool quantize = n.op == core::OpType::quantize;
    const bool dequantize = n.op == core::OpType::dequantize;
    for (const int id : n.inputs) {
      if (!g_.tensor(id).is_constant && !quantize) require(id, "input");
    }
    if (!dequantize) {
      for (const int id : n.outputs) require(id, "output");
    }
    if (n.op == core::OpType::conv2d || n.op == core::OpType::fully_connected) {
      require(n.inputs[1], "weight");
    }
  }

  // A PAD operator in front of node k's input `x`; returns the padded tensor.
  int insert_pad(std::size_t k, int x, const core::Attributes& a) {
    const core::Node& n = g_.nodes[k];
    const core::Tensor& in = g_.tensor(x);
    const int paddings =
        int32_constant(n.name + "/paddings", {4, 2},
                       {0, 0, a.pad_top, a.pad_bottom, a.pad_left, a.pad_right, 0, 0});
    FileTensor& padded = d_.tensors.emplace_back();
    padded.name = d_.names.emplace_back(n.name + "/padded");
    padded.shape = {static_cast<std::int32_t>(in.shape[0]),
                    static_cast<std::int32_t>(in.shape[1] + a.pad_top + a.pad_bottom),
                    static_cast<std::int32_t>(in.shape[2] + a.pad_left + a.pad_right),
                    static_cast<std::int32_t>(in.shape[3])};
    padded.type = tensor_type(in.dtype);
    // PAD keeps the scale and pads with the zero point.
    padded.quantization = &in.quantization;
    padded.quantized_dimension = in.quantization.axis;
    const int padded_id = static_cast<int>(d_.tensors.size() - 1);
    add_operator(BuiltinOperator::PAD, 2, {x, paddings}, padded_id,
                 options_of(BuiltinOptions::PadOptions));
    return padded_id;
  }

  void write_conv2d(std::size_t k) {
    const core::Node& n = g_.nodes[k];
    const core::Attributes& a = n.attrs;
    int x = n.inputs[0];
    std::optional<tflite::Padding> padding =
        implicit_padding(a, g_.tensor(x).shape, a.dilation_h, a.dilation_w);
    if (!padding) {
      // Padding with the input's zero point then convolving VALID is exactly the conv with
      // explicit pads (the int8 conv pads with the zero point too), dilated or not.
      x = insert_pad(k, x, a);
      padding = tflite::Padding::VALID;
    }
    std::vector<int> inputs = n.inputs;
    inputs[0] = x;
    const int output = n.outputs[0];
    const tflite::Padding pad = *padding;
    const auto fused = activation(a.fused_activation);
    FileOptions o;
    o.padding = pad;
    o.stride_w = a.stride_w;
    o.stride_h = a.stride_h;
    o.fused = fused;
    o.dilation_w = a.dilation_w;
    o.dilation_h = a.dilation_h;
    if (is_depthwise(n)) {
      o.type = BuiltinOptions::DepthwiseConv2DOptions;
      o.depth_multiplier = static_cast<int>(g_.tensor(n.inputs[1]).shape[0] / a.groups);
      add_operator(BuiltinOperator::DEPTHWISE_CONV_2D, 3, std::move(inputs), output, std::move(o));
      return;
    }
    o.type = BuiltinOptions::Conv2DOptions;
    add_operator(BuiltinOperator::CONV_2D, 3, std::move(inputs), output, std::move(o));
  }

  void write_pool(std::size_t k, BuiltinOperator op) {
    const core::Node& n = g_.nodes[k];
    const core::Attributes& a = n.attrs;
    const std::optional<tflite::Padding> padding =
        implicit_padding(a, g_.tensor(n.inputs[0]).shape, 1, 1);
    if (!padding) {
      fail(k, "pads " + std::to_string(a.pad_top) + "," + std::to_string(a.pad_bottom) + "," +
                  std::to_string(a.pad_left) + "," + std::to_string(a.pad_right) +
                  " (top, bottom, left, right) are neither TFLite's SAME nor VALID; a pool "
                  "cannot take an explicit PAD without changing its result");
    }
    const tflite::Padding pad = *padding;
    const auto fused = activation(a.fused_activation);
    FileOptions o = options_of(BuiltinOptions::Pool2DOptions);
    o.padding = pad;
    o.stride_w = a.stride_w;
    o.stride_h = a.stride_h;
    o.filter_w = a.kernel_w;
    o.filter_h = a.kernel_h;
    o.fused = fused;
    add_operator(op, 2, n.inputs, n.outputs[0], std::move(o));
  }

  void write_reshape(std::size_t k) {
    const core::Node& n = g_.nodes[k];
    const core::Shape& out = g_.tensor(n.outputs[0]).shape;
    std::vector<std::int32_t> values;
    for (const std::int64_t d : out) values.push_back(static_cast<std::int32_t>(d));
    // A shape constant the graph already holds fits if it resolves to the output shape.
    const int shape_id =
        int32_constant(n.name + "/shape", {static_cast<std::int32_t>(values.size())}, values,
                       [&](std::span<const std::int32_t> held) {
                         if (held.size() != values.size()) return false;
                         int wildcards = 0;
                         for (std::size_t i = 0; i < held.size(); ++i) {
                           if (held[i] == -1) {
                             ++wildcards;
                           } else if (held[i] != values[i]) {
                             return false;
                           }
                         }
                         return wildcards <= 1;
                       });
    // ReshapeOptions repeats the shape input's values, whichever constant that is.
    FileOptions o = options_of(BuiltinOptions::ReshapeOptions);
    const auto id = static_cast<std::size_t>(shape_id);
    if (id < g_.tensors.size()) {
      const std::span<const std::int32_t> held = g_.tensors[id].values<std::int32_t>();
      o.new_shape.assign(held.begin(), held.end());
    } else {
      const std::vector<std::uint8_t>& held = d_.tensors[id].data;
      o.new_shape.resize(held.size() / sizeof(std::int32_t));
      std::memcpy(o.new_shape.data(), held.data(), held.size());
    }
    add_operator(BuiltinOperator::RESHAPE, 1, {n.inputs[0], shape_id}, n.outputs[0], std::move(o));
  }

  void write_simple(std::size_t k, BuiltinOperator op, int version, FileOptions options) {
    const core::Node& n = g_.nodes[k];
    add_operator(op, version, n.inputs, n.outputs[0], std::move(options));
  }
  void write_plain(std::size_t k, BuiltinOperator op, int version) {
    const core::Node& n = g_.nodes[k];
    add_operator(op, version, n.inputs, n.outputs[0]);
  }

  void write_node(std::size_t k) {
    const core::Node& n = g_.nodes[k];
    const core::Attributes& a = n.attrs;
    const auto fused = activation(a.fused_activation);
    using core::OpType;
    switch (n.op) {
      case OpType::batch_norm:
        fail(k,
             "TFLite has no batch normalization operator; fold it into the convolution or "
             "lower it to MUL + ADD first (core::lower_for_deployment)");
      case OpType::silu:
        fail(k,
             "TFLite has no SiLU operator; expand it first (core::expand_silu / "
             "core::lower_for_deployment)");
      case OpType::adaptive_avg_pool:
        fail(k,
             "TFLite has no adaptive average pooling operator; lower it to average pools "
             "over slices first (core::lower_adaptive_avg_pool / core::lower_for_deployment)");
      default:
        break;
    }
    check_int8(k);
    switch (n.op) {
      case OpType::conv2d:
        return write_conv2d(k);
      case OpType::fully_connected: {
        FileOptions o = options_of(BuiltinOptions::FullyConnectedOptions);
        o.fused = fused;
        o.keep_dims = a.keep_num_dims;
        return write_simple(k, BuiltinOperator::FULLY_CONNECTED,
                            n.inputs.size() == 2 ? 6
                            : a.keep_num_dims    ? 5
                                                 : 4,
                            std::move(o));
      }
      case OpType::avg_pool:
        return write_pool(k, BuiltinOperator::AVERAGE_POOL_2D);
      case OpType::max_pool:
        return write_pool(k, BuiltinOperator::MAX_POOL_2D);
      case OpType::global_avg_pool: {
        const int axes = int32_constant(n.name + "/axes", {2}, {1, 2});
        FileOptions o = options_of(BuiltinOptions::ReducerOptions);
        o.keep_dims = true;
        add_operator(BuiltinOperator::MEAN, 2, {n.inputs[0], axes}, n.outputs[0], std::move(o));
        return;
      }
      case OpType::reshape:
        return write_reshape(k);
      case OpType::softmax: {
        const auto rank = static_cast<int>(g_.tensor(n.inputs[0]).shape.size());
        if (a.axis != -1 && a.axis != rank - 1) {
          fail(k, "softmax over axis " + std::to_string(a.axis) +
                      "; TFLite's SOFTMAX works on the last axis only");
        }
        FileOptions o = options_of(BuiltinOptions::SoftmaxOptions);
        o.beta = a.softmax_beta;
        return write_simple(k, BuiltinOperator::SOFTMAX, 2, std::move(o));
      }
      case OpType::add: {
        FileOptions o = options_of(BuiltinOptions::AddOptions);
        o.fused = fused;
        return write_simple(k, BuiltinOperator::ADD, 2, std::move(o));
      }
      case OpType::mul: {
        // TFLite's op_version: 3 when the real multiplier in1·in2/out scale reaches 1.
        const double multiplier =
            static_cast<double>(g_.tensor(n.inputs[0]).quantization.scales[0]) *
            g_.tensor(n.inputs[1]).quantization.scales[0] /
            g_.tensor(n.outputs[0]).quantization.scales[0];
        FileOptions o = options_of(BuiltinOptions::MulOptions);
        o.fused = fused;
        return write_simple(k, BuiltinOperator::MUL, multiplier >= 1.0 ? 3 : 2, std::move(o));
      }
      case OpType::pad: {
        if (a.pad_value != 0.0f) {
          fail(k, "pad value " + number_text(a.pad_value) +
                      "; TFLite's PAD pads with (real) zero only");
        }
        const int paddings =
            int32_constant(n.name + "/paddings", {4, 2},
                           {0, 0, a.pad_top, a.pad_bottom, a.pad_left, a.pad_right, 0, 0});
        add_operator(BuiltinOperator::PAD, 2, {n.inputs[0], paddings}, n.outputs[0],
                     options_of(BuiltinOptions::PadOptions));
        return;
      }
      case OpType::concat: {
        FileOptions o = options_of(BuiltinOptions::ConcatenationOptions);
        o.axis = a.axis;
        o.fused = fused;
        return write_simple(k, BuiltinOperator::CONCATENATION, 2, std::move(o));
      }
      case OpType::resize_nearest: {
        const core::Shape& x = g_.tensor(n.inputs[0]).shape;
        const int size = int32_constant(n.name + "/size", {2},
                                        {static_cast<std::int32_t>(x[1] * a.scale_h),
                                         static_cast<std::int32_t>(x[2] * a.scale_w)});
        add_operator(BuiltinOperator::RESIZE_NEAREST_NEIGHBOR, 2, {n.inputs[0], size}, n.outputs[0],
                     options_of(BuiltinOptions::ResizeNearestNeighborOptions));
        return;
      }
      case OpType::split: {
        // SPLIT reads its axis from a constant int32 input 0; the data is input 1.
        const auto rank = static_cast<int>(g_.tensor(n.inputs[0]).shape.size());
        const int axis =
            int32_constant(n.name + "/axis", {}, {a.axis < 0 ? a.axis + rank : a.axis});
        FileOptions o = options_of(BuiltinOptions::SplitOptions);
        o.num_splits = static_cast<int>(n.outputs.size());
        add_operator(BuiltinOperator::SPLIT, 2, {axis, n.inputs[0]}, n.outputs[0], std::move(o));
        d_.operators.back().outputs.assign(n.outputs.begin(), n.outputs.end());
        return;
      }
      case OpType::slice: {
        // begin and size are constant int32 inputs 1 and 2, one entry per input axis.
        const auto rank = static_cast<std::int32_t>(a.slice_begin.size());
        std::vector<std::int32_t> begin, size;
        for (const std::int64_t b : a.slice_begin) begin.push_back(static_cast<std::int32_t>(b));
        for (const std::int64_t d : a.slice_size) size.push_back(static_cast<std::int32_t>(d));
        const int begin_id = int32_constant(n.name + "/begin", {rank}, begin);
        const int size_id = int32_constant(n.name + "/size", {rank}, size);
        add_operator(BuiltinOperator::SLICE, rank > 4 ? 5 : 2, {n.inputs[0], begin_id, size_id},
                     n.outputs[0], options_of(BuiltinOptions::SliceOptions));
        return;
      }
      case OpType::relu:
        return write_plain(k, BuiltinOperator::RELU, 2);
      case OpType::clip:
        if (a.clip_min != 0.0f || a.clip_max != 6.0f) {
          fail(k, "clip to [" + number_text(a.clip_min) + ", " + number_text(a.clip_max) +
                      "]; TFLite expresses clip to [0, 6] only (RELU6)");
        }
        return write_plain(k, BuiltinOperator::RELU6, 2);
      case OpType::sigmoid:
        return write_plain(k, BuiltinOperator::LOGISTIC, 2);
      case OpType::tanh:
        return write_plain(k, BuiltinOperator::TANH, 2);
      case OpType::hard_swish:
        return write_simple(k, BuiltinOperator::HARD_SWISH, 1,
                            options_of(BuiltinOptions::HardSwishOptions));
      case OpType::leaky_relu: {
        FileOptions o = options_of(BuiltinOptions::LeakyReluOptions);
        o.alpha = a.leaky_alpha;
        return write_simple(k, BuiltinOperator::LEAKY_RELU, 1, std::move(o));
      }
      case OpType::quantize:
        return write_simple(k, BuiltinOperator::QUANTIZE, 1,
                            options_of(BuiltinOptions::QuantizeOptions));
      case OpType::dequantize:
        return write_simple(k, BuiltinOperator::DEQUANTIZE, 2,
                            options_of(BuiltinOptions::DequantizeOptions));
      default:
        fail(k, "has no TFLite mapping");
    }
  }

  const core::Graph& g_;
  bool with_data_ = true;
  bool validate_ = true;
  std::vector<bool> depthwise_filter_;
  std::vector<bool> read_;
  std::vector<std::size_t> unread_int32_;  // int32 constants no node reads, in id order
  FileDescription d_;
};

// An operator's builtin options table, as the generated Create* functions write it.
std::pair<BuiltinOptions, flatbuffers::Offset<void>> write_options(
    flatbuffers::FlatBufferBuilder& b, const FileOptions& o) {
  switch (o.type) {
    case BuiltinOptions::Conv2DOptions:
      return {o.type, tflite::CreateConv2DOptions(b, o.padding, o.stride_w, o.stride_h, o.fused,
                                                  o.dilation_w, o.dilation_h)
                          .Union()};
    case BuiltinOptions::DepthwiseConv2DOptions:
      return {o.type, tflite::CreateDepthwiseConv2DOptions(b, o.padding, o.stride_w, o.stride_h,
                                                           o.depth_multiplier, o.fused,
                                                           o.dilation_w, o.dilation_h)
                          .Union()};
    case BuiltinOptions::Pool2DOptions:
      return {o.type, tflite::CreatePool2DOptions(b, o.padding, o.stride_w, o.stride_h, o.filter_w,
                                                  o.filter_h, o.fused)
                          .Union()};
    case BuiltinOptions::FullyConnectedOptions:
      return {o.type,
              tflite::CreateFullyConnectedOptions(
                  b, o.fused, tflite::FullyConnectedOptionsWeightsFormat::DEFAULT, o.keep_dims)
                  .Union()};
    case BuiltinOptions::ReducerOptions:
      return {o.type, tflite::CreateReducerOptions(b, o.keep_dims).Union()};
    case BuiltinOptions::ReshapeOptions:
      return {o.type, tflite::CreateReshapeOptions(b, b.CreateVector(o.new_shape)).Union()};
    case BuiltinOptions::SoftmaxOptions:
      return {o.type, tflite::CreateSoftmaxOptions(b, o.beta).Union()};
    case BuiltinOptions::AddOptions:
      return {o.type, tflite::CreateAddOptions(b, o.fused).Union()};
    case BuiltinOptions::MulOptions:
      return {o.type, tflite::CreateMulOptions(b, o.fused).Union()};
    case BuiltinOptions::PadOptions:
      return {o.type, tflite::CreatePadOptions(b).Union()};
    case BuiltinOptions::ConcatenationOptions:
      return {o.type, tflite::CreateConcatenationOptions(b, o.axis, o.fused).Union()};
    case BuiltinOptions::ResizeNearestNeighborOptions:
      return {o.type, tflite::CreateResizeNearestNeighborOptions(b, false, false).Union()};
    case BuiltinOptions::SplitOptions:
      return {o.type, tflite::CreateSplitOptions(b, o.num_splits).Union()};
    case BuiltinOptions::SliceOptions:
      return {o.type, tflite::CreateSliceOptions(b).Union()};
    case BuiltinOptions::HardSwishOptions:
      return {o.type, tflite::CreateHardSwishOptions(b).Union()};
    case BuiltinOptions::LeakyReluOptions:
      return {o.type, tflite::CreateLeakyReluOptions(b, o.alpha).Union()};
    case BuiltinOptions::QuantizeOptions:
      return {o.type, tflite::CreateQuantizeOptions(b).Union()};
    case BuiltinOptions::DequantizeOptions:
      return {o.type, tflite::CreateDequantizeOptions(b).Union()};
    default:
      break;
  }
  return {BuiltinOptions::NONE, 0};
}

// The order of every Create* call below is the order the file's bytes follow (the builder
// writes from the end); tflite_layout.cpp's size computation repeats it step by step.
std::vector<std::uint8_t> serialize(const FileDescription& d) {
  std::size_t constant_bytes = 0;
  for (const FileTensor& t : d.tensors) constant_bytes += t.data.size();
  flatbuffers::FlatBufferBuilder b(1024 + 2 * constant_bytes);

  // Buffer 0 is empty; each constant gets its own, 16-byte aligned as TFLite lays them out.
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers{tflite::CreateBuffer(b)};
  std::vector<std::uint32_t> buffer_of(d.tensors.size(), 0);
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    if (!d.tensors[i].constant) continue;
    const std::vector<std::uint8_t>& data = d.tensors[i].data;
    b.ForceVectorAlignment(data.size(), 1, 16);
    const auto vector = b.CreateVector(data);
    buffer_of[i] = static_cast<std::uint32_t>(buffers.size());
    buffers.push_back(tflite::CreateBuffer(b, vector));
  }

  std::vector<flatbuffers::Offset<tflite::Tensor>> tensors;
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    const FileTensor& t = d.tensors[i];
    flatbuffers::Offset<tflite::QuantizationParameters> quantization = 0;
    if (t.quantized()) {
      const auto zero_points = b.CreateVector(t.quantization->zero_points);
      const auto scales = b.CreateVector(t.quantization->scales);
      quantization = tflite::CreateQuantizationParameters(b, 0, 0, scales, zero_points,
                                                          tflite::QuantizationDetails::NONE, 0,
                                                          t.quantized_dimension);
    }
    const auto name = b.CreateString(t.name.data(), t.name.size());
    const auto shape = b.CreateVector(t.shape);
    tensors.push_back(tflite::CreateTensor(b, shape, t.type, buffer_of[i], name, quantization));
  }

  std::vector<flatbuffers::Offset<tflite::OperatorCode>> code_tables;
  for (const auto& [op, version] : d.codes) {
    const auto value = static_cast<int>(op);
    code_tables.push_back(tflite::CreateOperatorCode(
        b, static_cast<std::int8_t>(std::min(value, 127)), 0, version, op));
  }

  std::vector<flatbuffers::Offset<tflite::Operator>> operators;
  for (std::size_t k = 0; k < d.operators.size(); ++k) {
    const FileOperator& op = d.operators[k];
    const auto [type, options] = write_options(b, op.options);
    const auto inputs = b.CreateVector(op.inputs);
    const auto outputs = b.CreateVector(op.outputs);
    operators.push_back(tflite::CreateOperator(b, d.code_of[k], inputs, outputs, type, options));
  }

  const auto subgraph_name = b.CreateString("main");
  const auto subgraph_operators = b.CreateVector(operators);
  const auto subgraph_outputs = b.CreateVector(d.outputs);
  const auto subgraph_inputs = b.CreateVector(d.inputs);
  const auto subgraph_tensors = b.CreateVector(tensors);
  const auto subgraph = tflite::CreateSubGraph(b, subgraph_tensors, subgraph_inputs,
                                               subgraph_outputs, subgraph_operators, subgraph_name);
  // Model.metadata: each entry's bytes in a buffer of its own, after the constants'.
  std::vector<flatbuffers::Offset<tflite::Metadata>> metadata;
  for (const detail::FileMetadata& entry : d.metadata) {
    b.ForceVectorAlignment(entry.bytes, 1, 16);
    const auto vector = b.CreateVector(*entry.data);
    const auto buffer_index = static_cast<std::uint32_t>(buffers.size());
    buffers.push_back(tflite::CreateBuffer(b, vector));
    const auto name = b.CreateString(entry.name.data(), entry.name.size());
    metadata.push_back(tflite::CreateMetadata(b, name, buffer_index));
  }
  const auto model_metadata =
      metadata.empty()
          ? flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<tflite::Metadata>>>(0)
          : b.CreateVector(metadata);
  const auto model_buffers = b.CreateVector(buffers);
  const auto description = b.CreateString("tinyscale");
  const auto subgraphs =
      b.CreateVector(std::vector<flatbuffers::Offset<tflite::SubGraph>>{subgraph});
  const auto model_codes = b.CreateVector(code_tables);
  const auto model = tflite::CreateModel(b, 3, model_codes, subgraphs, description, model_buffers,
                                         0, model_metadata);
  tflite::FinishModelBuffer(b, model);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

}  // namespace

namespace detail {

FileDescription describe_tflite(const core::Graph& int8_graph, bool with_data, bool validate) {
  return Describer(int8_graph, with_data, validate).describe();
}

}  // namespace detail

std::vector<std::uint8_t> write_tflite_buffer(const core::Graph& int8_graph) {
  return serialize(detail::describe_tflite(int8_graph, true, true));
}

void write_tflite(const core::Graph& int8_graph, const std::string& path) {
  const std::vector<std::uint8_t> bytes = write_tflite_buffer(int8_graph);
  core::write_bytes_atomically(path, bytes);
}

}  // namespace tinyscale::exporter
