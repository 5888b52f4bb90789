#include "export/onnx_writer.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"
#include "export/onnx_proto.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#include <onnx/shape_inference/implementation.h>
#pragma GCC diagnostic pop

namespace tinyscale::exporter {
namespace {

constexpr int kOpset = 13;
constexpr std::int64_t kIrVersion = 7;

// NHWC axis of a rank-4 tensor → its NCHW axis in the file; other ranks are unchanged.
int file_axis(int axis, std::size_t rank) {
  const int r = static_cast<int>(rank);
  const int a = axis < 0 ? axis + r : axis;
  if (rank != 4) return a;
  constexpr int kNchw[4] = {0, 2, 3, 1};
  return kNchw[a];
}

std::vector<std::int64_t> file_shape(const core::Shape& shape) {
  if (shape.size() != 4) return shape;
  return {shape[0], shape[3], shape[1], shape[2]};
}

// [d0, d1, d2, d3] (NHWC or OHWI) → [d0, d3, d1, d2] (NCHW or OIHW).
std::vector<float> to_channels_first(std::span<const float> values, const core::Shape& shape) {
  const auto n = static_cast<std::size_t>(shape[0]);
  const auto h = static_cast<std::size_t>(shape[1]);
  const auto w = static_cast<std::size_t>(shape[2]);
  const auto c = static_cast<std::size_t>(shape[3]);
  std::vector<float> out(values.size());
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t x = 0; x < w; ++x)
        for (std::size_t k = 0; k < c; ++k)
          out[((i * c + k) * h + y) * w + x] = values[((i * h + y) * w + x) * c + k];
  return out;
}

class OnnxWriter {
 public:
  explicit OnnxWriter(core::Graph graph) : g_(std::move(graph)) {}

  onnx::ModelProto build() {
    try {
      g_.validate();
    } catch (const Error& e) {
      throw Error(std::string("write_onnx: the graph is invalid: ") + e.what());
    }
    model_.set_ir_version(kIrVersion);
    model_.set_producer_name("tinyscale");
    onnx::OperatorSetIdProto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    graph_ = model_.mutable_graph();
    graph_->set_name("tinyscale");
    names_.assign(g_.tensors.size(), "");

    for (const int id : g_.inputs) {
      const core::Tensor& t = g_.tensor(id);
      if (t.dtype != core::DType::float32) {
        throw Error("write_onnx: input '" + t.name + "' is " + core::dtype_name(t.dtype) +
                    "; write_onnx writes float graphs only");
      }
      names_[static_cast<std::size_t>(id)] = unique(t.name);
      declare(graph_->add_input(), names_[static_cast<std::size_t>(id)], t.shape);
    }
    for (std::size_t k = 0; k < g_.nodes.size(); ++k) write_node(k);
    for (const int id : g_.outputs) {
      declare(graph_->add_output(), value(id), g_.tensor(id).shape);
    }
    return std::move(model_);
  }

 private:
  [[noreturn]] void fail(std::size_t k, const std::string& what) const {
    const core::Node& n = g_.nodes[k];
    throw Error("write_onnx: node " + std::to_string(k) + " '" + n.name + "' (" +
                core::op_name(n.op) + "): " + what);
  }

  std::string unique(const std::string& base) {
    std::string name = base.empty() ? "tensor" : base;
    for (int i = 1; used_.count(name); ++i) name = base + "_" + std::to_string(i);
    used_.insert(name);
    return name;
  }

  static void declare(onnx::ValueInfoProto* info, const std::string& name,
                      const core::Shape& shape) {
    info->set_name(name);
    onnx::TypeProto_Tensor* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    onnx::TensorShapeProto* dims = type->mutable_shape();
    for (const std::int64_t d : file_shape(shape)) dims->add_dim()->set_dim_value(d);
  }

  std::string float_initializer(const std::string& base, const std::vector<std::int64_t>& dims,
                                const std::vector<float>& values) {
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(unique(base));
    t->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (const std::int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(float));
    return t->name();
  }
  std::string int64_initializer(const std::string& base, const std::vector<std::int64_t>& dims,
                                const std::vector<std::int64_t>& values) {
    onnx::TensorProto* t = graph_->add_initializer();
    t->set_name(unique(base));
    t->set_data_type(onnx::TensorProto_DataType_INT64);
    for (const std::int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(std::int64_t));
    return t->name();
  }

  const core::Tensor& checked_constant(int id) const {
    const core::Tensor& t = g_.tensor(id);
    if (t.dtype != core::DType::float32) {
      throw Error("write_onnx: constant '" + t.name + "' is " + core::dtype_name(t.dtype) +
                  "; write_onnx writes float graphs only");
    }
    if (!t.has_data()) {
      throw Error("write_onnx: constant '" + t.name +
                  "' has no data (shape only); build the graph with materialize_weights");
    }
    return t;
  }

  // The file name of tensor `id`; a constant becomes an initializer on first use (rank 4
  // transposed to channels-first: OHWI → OIHW, NHWC → NCHW).
  std::string value(int id) {
    std::string& name = names_[static_cast<std::size_t>(id)];
    if (!name.empty()) return name;
    const core::Tensor& t = g_.tensor(id);
    if (!t.is_constant) throw Error("write_onnx: tensor '" + t.name + "' is read before written");
    checked_constant(id);
    const auto values = t.values<float>();
    name =
        float_initializer(t.name, file_shape(t.shape),
                          t.shape.size() == 4 ? to_channels_first(values, t.shape)
                                              : std::vector<float>(values.begin(), values.end()));
    return name;
  }

  // A constant operand of a broadcasting op whose other operand is rank 4: its NHWC shape
  // padded to rank 4, then channels-first, so it broadcasts over the same elements.
  std::string broadcast_operand(std::size_t k, int id) {
    const core::Tensor& t = checked_constant(id);
    core::Shape shape = t.shape;
    shape.insert(shape.begin(), 4 - shape.size(), 1);
    const auto values = t.values<float>();
    return float_initializer(g_.nodes[k].name + "." + t.name, file_shape(shape),
                             to_channels_first(values, shape));
  }

  onnx::NodeProto* add(const std::string& op_type, const std::string& name,
                       const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs) {
    onnx::NodeProto* node = graph_->add_node();
    node->set_op_type(op_type);
    node->set_name(name);
    for (const std::string& i : inputs) node->add_input(i);
    for (const std::string& o : outputs) node->add_output(o);
    return node;
  }
  static void attr(onnx::NodeProto* node, const std::string& name, std::int64_t v) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* node, const std::string& name, float v) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto* node, const std::string& name, const std::string& v) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s(v);
  }
  static void attr(onnx::NodeProto* node, const std::string& name,
                   const std::vector<std::int64_t>& v) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (const std::int64_t x : v) a->add_ints(x);
  }

  static void window_attrs(onnx::NodeProto* node, const core::Attributes& a) {
    attr(node, "kernel_shape", std::vector<std::int64_t>{a.kernel_h, a.kernel_w});
    attr(node, "strides", std::vector<std::int64_t>{a.stride_h, a.stride_w});
    attr(node, "pads", std::vector<std::int64_t>{a.pad_top, a.pad_left, a.pad_bottom, a.pad_right});
  }

  // The name node k's main op writes: its output, or an intermediate when a fused
  // activation follows.
  std::string result_name(std::size_t k) {
    const core::Node& n = g_.nodes[k];
    const int out = n.outputs[0];
    names_[static_cast<std::size_t>(out)] = unique(g_.tensor(out).name);
    if (n.attrs.fused_activation == core::FusedActivation::none) return value(out);
    return unique(n.name + ".pre_activation");
  }
  void finish_fused(std::size_t k, const std::string& pre) {
    const core::Node& n = g_.nodes[k];
    const std::string out = value(n.outputs[0]);
    switch (n.attrs.fused_activation) {
      case core::FusedActivation::none:
        return;
      case core::FusedActivation::relu:
        add("Relu", n.name + "/relu", {pre}, {out});
        return;
      case core::FusedActivation::relu6:
        add("Clip", n.name + "/relu6",
            {pre, float_initializer(n.name + ".min", {}, {0.0f}),
             float_initializer(n.name + ".max", {}, {6.0f})},
            {out});
        return;
    }
  }

  void check_float(std::size_t k) const {
    const core::Node& n = g_.nodes[k];
    for (const int id : n.inputs) {
      if (g_.tensor(id).dtype != core::DType::float32) {
        fail(k, "tensor '" + g_.tensor(id).name + "' is " + core::dtype_name(g_.tensor(id).dtype) +
                    "; write_onnx writes float graphs only");
      }
    }
  }

  void write_reshape(std::size_t k) {
    const core::Node& n = g_.nodes[k];
    const core::Shape& in = g_.tensor(n.inputs[0]).shape;
    const core::Shape& out = g_.tensor(n.outputs[0]).shape;
    const std::string x = value(n.inputs[0]);
    const std::string y = result_name(k);
    if (in.size() == 4 && in[1] == 1 && in[2] == 1 && out == core::Shape{in[0], in[3]}) {
      attr(add("Flatten", n.name, {x}, {y}), "axis", std::int64_t{1});
      return;
    }
    // Reshape works on the graph's NHWC element order: transpose rank-4 data to NHWC
    // first and back to NCHW after.
    std::string source = x;
    if (in.size() == 4) {
      source = unique(n.name + ".nhwc_in");
      attr(add("Transpose", n.name + "/to_nhwc", {x}, {source}), "perm",
           std::vector<std::int64_t>{0, 2, 3, 1});
    }
    const std::string shape =
        int64_initializer(n.name + ".shape", {static_cast<std::int64_t>(out.size())}, out);
    if (out.size() != 4) {
      add("Reshape", n.name, {source, shape}, {y});
      return;
    }
    const std::string reshaped = unique(n.name + ".nhwc_out");
    add("Reshape", n.name, {source, shape}, {reshaped});
    attr(add("Transpose", n.name + "/to_nchw", {reshaped}, {y}), "perm",
         std::vector<std::int64_t>{0, 3, 1, 2});
  }

  void write_binary(std::size_t k, const char* op_type) {
    const core::Node& n = g_.nodes[k];
    std::vector<std::string> inputs;
    std::size_t max_rank = 0;
    for (const int id : n.inputs) max_rank = std::max(max_rank, g_.tensor(id).shape.size());
    for (const int id : n.inputs) {
      const core::Tensor& t = g_.tensor(id);
      if (max_rank == 4 && t.shape.size() < 4) {
        if (!t.is_constant) {
          fail(k, "computed operand '" + t.name + "' of rank " + std::to_string(t.shape.size()) +
                      " broadcasts against a rank-4 tensor, which NCHW cannot express directly");
        }
        inputs.push_back(broadcast_operand(k, id));
      } else {
        inputs.push_back(value(id));
      }
    }
    const std::string y = result_name(k);
    add(op_type, n.name, inputs, {y});
    finish_fused(k, y);
  }

  void write_node(std::size_t k) {
    const core::Node& n = g_.nodes[k];
    const core::Attributes& a = n.attrs;
    using core::OpType;
    check_float(k);
    const auto input = [&](std::size_t i) { return value(n.inputs[i]); };
    switch (n.op) {
      case OpType::conv2d: {
        std::vector<std::string> inputs;
        for (std::size_t i = 0; i < n.inputs.size(); ++i) inputs.push_back(input(i));
        const std::string y = result_name(k);
        onnx::NodeProto* node = add("Conv", n.name, inputs, {y});
        window_attrs(node, a);
        attr(node, "dilations", std::vector<std::int64_t>{a.dilation_h, a.dilation_w});
        attr(node, "group", std::int64_t{a.groups});
        return finish_fused(k, y);
      }
      case OpType::batch_norm: {
        std::vector<std::string> inputs;
        for (std::size_t i = 0; i < 5; ++i) inputs.push_back(input(i));
        attr(add("BatchNormalization", n.name, inputs, {result_name(k)}), "epsilon", a.epsilon);
        return;
      }
      case OpType::add:
        return write_binary(k, "Add");
      case OpType::mul:
        return write_binary(k, "Mul");
      case OpType::hard_swish: {
        // HardSwish is an opset-14 operator; at opset 13 torch writes x·HardSigmoid(x).
        const std::string x = input(0);
        const std::string gate = unique(n.name + ".gate");
        onnx::NodeProto* hs = add("HardSigmoid", n.name + "/hard_sigmoid", {x}, {gate});
        attr(hs, "alpha", 1.0f / 6.0f);
        attr(hs, "beta", 0.5f);
        add("Mul", n.name, {x, gate}, {result_name(k)});
        return;
      }
      case OpType::silu: {
        const std::string x = input(0);
        const std::string gate = unique(n.name + ".gate");
        add("Sigmoid", n.name + "/sigmoid", {x}, {gate});
        add("Mul", n.name, {x, gate}, {result_name(k)});
        return;
      }
      case OpType::relu:
        add("Relu", n.name, {input(0)}, {result_name(k)});
        return;
      case OpType::clip:
        add("Clip", n.name,
            {input(0), float_initializer(n.name + ".min", {}, {a.clip_min}),
             float_initializer(n.name + ".max", {}, {a.clip_max})},
            {result_name(k)});
        return;
      case OpType::sigmoid:
        add("Sigmoid", n.name, {input(0)}, {result_name(k)});
        return;
      case OpType::tanh:
        add("Tanh", n.name, {input(0)}, {result_name(k)});
        return;
      case OpType::leaky_relu:
        attr(add("LeakyRelu", n.name, {input(0)}, {result_name(k)}), "alpha", a.leaky_alpha);
        return;
      case OpType::avg_pool:
      case OpType::max_pool: {
        const std::string y = result_name(k);
        onnx::NodeProto* node =
            add(n.op == OpType::avg_pool ? "AveragePool" : "MaxPool", n.name, {input(0)}, {y});
        window_attrs(node, a);
        return finish_fused(k, y);
      }
      case OpType::global_avg_pool:
        add("GlobalAveragePool", n.name, {input(0)}, {result_name(k)});
        return;
      case OpType::adaptive_avg_pool:
        // write_onnx_string lowers every adaptive_avg_pool first.
        fail(k, "ONNX has no adaptive average pooling; core::lower_adaptive_avg_pool first");
      case OpType::paste:
        // Only patch-based execution plans (engine/patch.h) hold it; they are never exported.
        fail(k, "paste belongs to a patch-based execution plan, which is not a model to export");
      case OpType::slice: {
        // Only the axes the slice cuts, as torch writes a Slice.
        const std::size_t rank = a.slice_begin.size();
        const core::Shape& x = g_.tensor(n.inputs[0]).shape;
        std::vector<std::int64_t> starts, ends, axes;
        for (std::size_t d = 0; d < rank; ++d) {
          if (a.slice_begin[d] == 0 && a.slice_size[d] == x[d]) continue;
          starts.push_back(a.slice_begin[d]);
          ends.push_back(a.slice_begin[d] + a.slice_size[d]);
          axes.push_back(file_axis(static_cast<int>(d), rank));
        }
        const auto count = static_cast<std::int64_t>(axes.size());
        add("Slice", n.name,
            {input(0), int64_initializer(n.name + ".starts", {count}, starts),
             int64_initializer(n.name + ".ends", {count}, ends),
             int64_initializer(n.name + ".axes", {count}, axes)},
            {result_name(k)});
        return;
      }
      case OpType::pad: {
        std::vector<std::string> inputs = {
            input(0),
            int64_initializer(n.name + ".pads", {8},
                              {0, 0, a.pad_top, a.pad_left, 0, 0, a.pad_bottom, a.pad_right})};
        if (a.pad_value != 0.0f) {
          inputs.push_back(float_initializer(n.name + ".value", {}, {a.pad_value}));
        }
        attr(add("Pad", n.name, inputs, {result_name(k)}), "mode", std::string("constant"));
        return;
      }
      case OpType::concat: {
        std::vector<std::string> inputs;
        for (std::size_t i = 0; i < n.inputs.size(); ++i) inputs.push_back(input(i));
        const std::string y = result_name(k);
        attr(add("Concat", n.name, inputs, {y}), "axis",
             std::int64_t{file_axis(a.axis, g_.tensor(n.outputs[0]).shape.size())});
        return finish_fused(k, y);
      }
      case OpType::resize_nearest: {
        const std::string scales = float_initializer(
            n.name + ".scales", {4},
            {1.0f, 1.0f, static_cast<float>(a.scale_h), static_cast<float>(a.scale_w)});
        onnx::NodeProto* node = add("Resize", n.name, {input(0), "", scales}, {result_name(k)});
        attr(node, "mode", std::string("nearest"));
        attr(node, "coordinate_transformation_mode", std::string("asymmetric"));
        attr(node, "nearest_mode", std::string("floor"));
        return;
      }
      case OpType::fully_connected: {
        const core::Shape& x = g_.tensor(n.inputs[0]).shape;
        if (x.size() != 2) {
          fail(k, "input " + core::shape_string(x) +
                      " is not [N, K]; write_onnx writes fully_connected as Gemm on rank 2");
        }
        std::vector<std::string> inputs;
        for (std::size_t i = 0; i < n.inputs.size(); ++i) inputs.push_back(input(i));
        const std::string y = result_name(k);
        attr(add("Gemm", n.name, inputs, {y}), "transB", std::int64_t{1});
        return finish_fused(k, y);
      }
      case OpType::reshape:
        return write_reshape(k);
      case OpType::softmax: {
        if (a.softmax_beta != 1.0f) {
          fail(k, "softmax beta " + number_text(a.softmax_beta) +
                      "; ONNX's Softmax has no temperature (beta must be 1)");
        }
        attr(add("Softmax", n.name, {input(0)}, {result_name(k)}), "axis",
             std::int64_t{file_axis(a.axis, g_.tensor(n.inputs[0]).shape.size())});
        return;
      }
      case OpType::split: {
        // Opset 13 takes the part sizes as an input (an attribute before).
        const core::Shape& x = g_.tensor(n.inputs[0]).shape;
        const auto rank = static_cast<int>(x.size());
        const auto parts = static_cast<std::int64_t>(n.outputs.size());
        const std::int64_t each =
            x[static_cast<std::size_t>(a.axis < 0 ? a.axis + rank : a.axis)] / parts;
        const std::string sizes =
            int64_initializer(n.name + ".split", {parts},
                              std::vector<std::int64_t>(static_cast<std::size_t>(parts), each));
        std::vector<std::string> outputs;
        for (const int id : n.outputs) {
          names_[static_cast<std::size_t>(id)] = unique(g_.tensor(id).name);
          outputs.push_back(names_[static_cast<std::size_t>(id)]);
        }
        attr(add("Split", n.name, {input(0), sizes}, outputs), "axis",
             std::int64_t{file_axis(a.axis, x.size())});
        return;
      }
      case OpType::quantize:
      case OpType::dequantize:
        fail(k, "write_onnx writes float graphs; quantize / dequantize belong to int8 graphs");
    }
    fail(k, "has no ONNX mapping");
  }

  core::Graph g_;
  onnx::ModelProto model_;
  onnx::GraphProto* graph_ = nullptr;
  std::set<std::string> used_;
  std::vector<std::string> names_;  // per tensor id, "" until written
};

}  // namespace

std::string write_onnx_string(const core::Graph& float_graph, bool fold_batch_norm) {
  core::Graph graph = float_graph;
  const bool adaptive = std::any_of(graph.nodes.begin(), graph.nodes.end(), [](const auto& n) {
    return n.op == core::OpType::adaptive_avg_pool;
  });
  if (fold_batch_norm) core::fold_batch_norm(graph);
  if (adaptive) core::lower_adaptive_avg_pool(graph);
  if (fold_batch_norm || adaptive) core::compact(graph);
  onnx::ModelProto model = OnnxWriter(std::move(graph)).build();
  try {
    onnx::checker::check_model(model);
    // Strict: a node whose inferred output disagrees with a declared shape is an error.
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    throw Error(std::string("write_onnx: the model fails onnx's checks: ") + e.what());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw Error("write_onnx: cannot serialize the model");
  return bytes;
}

void write_onnx(const core::Graph& float_graph, const std::string& path, bool fold_batch_norm) {
  const std::string bytes = write_onnx_string(float_graph, fold_batch_norm);
  core::write_bytes_atomically(path,
                               {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

}  // namespace tinyscale::exporter
