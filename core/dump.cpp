// The text dump: one line per graph input, node and output, in a fixed format that golden
// tests diff. Constants appear inline as name:shape; attributes are printed only for the
// ops that read them.
#include <cstdio>
#include <string>

#include "core/graph.h"
#include "core/ops.h"

namespace tinyscale::core {
namespace {

std::string format_float(float v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", static_cast<double>(v));
  return buffer;
}

std::string tensor_ref(const Graph& g, int id) {
  const Tensor& t = g.tensor(id);
  std::string s =
      (t.is_constant ? "const " : "%") + std::to_string(id) + ":" + shape_string(t.shape);
  if (t.dtype != DType::float32) s += std::string(":") + dtype_name(t.dtype);
  return s;
}

std::string window_attrs(const Attributes& a, bool dilation) {
  std::string s = " kernel=" + std::to_string(a.kernel_h) + "x" + std::to_string(a.kernel_w) +
                  " stride=" + std::to_string(a.stride_h) + "x" + std::to_string(a.stride_w);
  if (dilation && (a.dilation_h != 1 || a.dilation_w != 1)) {
    s += " dilation=" + std::to_string(a.dilation_h) + "x" + std::to_string(a.dilation_w);
  }
  return s;
}

std::string pads(const Attributes& a) {
  return " pad=" + std::to_string(a.pad_top) + "," + std::to_string(a.pad_bottom) + "," +
         std::to_string(a.pad_left) + "," + std::to_string(a.pad_right);
}

std::string attribute_text(const Node& node) {
  const Attributes& a = node.attrs;
  std::string s;
  switch (node.op) {
    case OpType::conv2d:
      s = window_attrs(a, true) + pads(a);
      if (a.groups != 1) s += " groups=" + std::to_string(a.groups);
      break;
    case OpType::avg_pool:
    case OpType::max_pool:
      s = window_attrs(a, false) + pads(a);
      break;
    case OpType::pad:
      s = pads(a) + " value=" + format_float(a.pad_value);
      break;
    case OpType::batch_norm:
      s = " eps=" + format_float(a.epsilon);
      break;
    case OpType::clip:
      s = " min=" + format_float(a.clip_min) + " max=" + format_float(a.clip_max);
      break;
    case OpType::concat:
    case OpType::softmax:
    case OpType::split:
      s = " axis=" + std::to_string(a.axis);
      break;
    case OpType::reshape:
      s = " shape=" + shape_string(a.new_shape);
      break;
    case OpType::slice:
      s = " begin=" + shape_string(a.slice_begin) + " size=" + shape_string(a.slice_size);
      break;
    case OpType::paste:
      s = " at=" + shape_string(a.slice_begin);
      if (!a.new_shape.empty()) s += " shape=" + shape_string(a.new_shape);
      break;
    case OpType::adaptive_avg_pool:
      s = " out=" + std::to_string(a.out_h) + "x" + std::to_string(a.out_w);
      break;
    case OpType::leaky_relu:
      s = " alpha=" + format_float(a.leaky_alpha);
      break;
    case OpType::fully_connected:
      if (!a.keep_num_dims) s = " flatten";
      break;
    case OpType::resize_nearest:
      s = " scale=" + std::to_string(a.scale_h) + "x" + std::to_string(a.scale_w);
      break;
    default:
      break;
  }
  if (a.fused_activation != FusedActivation::none) {
    s += std::string(" act=") + fused_activation_name(a.fused_activation);
  }
  return s;
}

}  // namespace

std::string dump(const Graph& graph) {
  std::string out;
  for (int id : graph.inputs) {
    const Tensor& t = graph.tensor(id);
    out += "input %" + std::to_string(id) + " \"" + t.name + "\" " + shape_string(t.shape) + " " +
           dtype_name(t.dtype) + "\n";
  }
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    out += "#" + std::to_string(n) + " " + op_name(node.op) + " \"" + node.name + "\" (";
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (i) out += ", ";
      out += tensor_ref(graph, node.inputs[i]);
    }
    out += ") -> ";
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      if (i) out += ", ";
      out += tensor_ref(graph, node.outputs[i]);
    }
    out += attribute_text(node) + "\n";
  }
  for (int id : graph.outputs) {
    out += "output %" + std::to_string(id) + " \"" + graph.tensor(id).name + "\" " +
           shape_string(graph.tensor(id).shape) + "\n";
  }
  return out;
}

}  // namespace tinyscale::core
