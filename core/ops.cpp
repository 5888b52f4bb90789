#include "core/ops.h"

#include <algorithm>
#include <array>
#include <string>

#include "core/error.h"

namespace tinyscale::core {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& what) {
  throw Error("layer '" + node.name + "' (" + op_name(node.op) + "): " + what);
}

const Shape& input_shape(const Graph& g, const Node& n, std::size_t i) {
  return g.tensor(n.inputs[i]).shape;
}

void require_rank(const Node& n, const Shape& s, std::size_t rank, const char* what) {
  if (s.size() != rank) {
    fail(n, std::string(what) + " must have rank " + std::to_string(rank) + ", got " +
                shape_string(s));
  }
}

// Output length of a sliding window; throws when the padded input is shorter than the
// (dilated) window, which is how "input too small for the strides" surfaces.
std::int64_t window_output(const Node& n, const char* axis, std::int64_t in, int kernel, int stride,
                           int dilation, int pad_before, int pad_after) {
  if (kernel < 1 || stride < 1 || dilation < 1 || pad_before < 0 || pad_after < 0) {
    fail(n, std::string("invalid window along ") + axis + ": kernel " + std::to_string(kernel) +
                ", stride " + std::to_string(stride) + ", dilation " + std::to_string(dilation) +
                ", padding " + std::to_string(pad_before) + "+" + std::to_string(pad_after));
  }
  const std::int64_t padded = in + pad_before + pad_after;
  const std::int64_t span = static_cast<std::int64_t>(dilation) * (kernel - 1) + 1;
  if (padded < span) {
    fail(n, std::string("input ") + axis + " " + std::to_string(in) + " (padded " +
                std::to_string(padded) + ") is smaller than the " + std::to_string(kernel) +
                "-wide kernel; the input resolution is too small for this many stride-2 layers");
  }
  return (padded - span) / stride + 1;
}

std::int64_t zero(const Graph&, const Node&) { return 0; }

std::int64_t const_elements(const Graph& g, const Node& n, std::size_t from) {
  std::int64_t total = 0;
  for (std::size_t i = from; i < n.inputs.size(); ++i)
    total += num_elements(g.tensor(n.inputs[i]).shape);
  return total;
}

// ---- conv2d: inputs x [N,H,W,C], weight [O,kh,kw,C/groups], optional bias [O].
Shape conv2d_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  const Shape& w = input_shape(g, n, 1);
  require_rank(n, x, 4, "input");
  require_rank(n, w, 4, "weight");
  const Attributes& a = n.attrs;
  if (a.groups < 1 || x[3] % a.groups != 0 || w[0] % a.groups != 0) {
    fail(n, "groups " + std::to_string(a.groups) + " must divide input channels " +
                std::to_string(x[3]) + " and output channels " + std::to_string(w[0]));
  }
  if (w[3] != x[3] / a.groups) {
    fail(n, "weight " + shape_string(w) + " expects " + std::to_string(w[3] * a.groups) +
                " input channels, input " + shape_string(x) + " has " + std::to_string(x[3]));
  }
  if (w[1] != a.kernel_h || w[2] != a.kernel_w) {
    fail(n, "weight " + shape_string(w) + " does not match kernel " + std::to_string(a.kernel_h) +
                "x" + std::to_string(a.kernel_w));
  }
  if (n.inputs.size() == 3 && input_shape(g, n, 2) != Shape{w[0]}) {
    fail(n,
         "bias " + shape_string(input_shape(g, n, 2)) + " must be [" + std::to_string(w[0]) + "]");
  }
  const std::int64_t h = window_output(n, "height", x[1], a.kernel_h, a.stride_h, a.dilation_h,
                                       a.pad_top, a.pad_bottom);
  const std::int64_t wd = window_output(n, "width", x[2], a.kernel_w, a.stride_w, a.dilation_w,
                                        a.pad_left, a.pad_right);
  return {x[0], h, wd, w[0]};
}
std::int64_t conv2d_params(const Graph& g, const Node& n) { return const_elements(g, n, 1); }
std::int64_t conv2d_macs(const Graph& g, const Node& n) {
  const Shape& w = input_shape(g, n, 1);
  const Shape& y = g.tensor(n.outputs[0]).shape;
  return num_elements(y) * w[1] * w[2] * w[3];
}
std::int64_t conv2d_macs_torchinfo(const Graph& g, const Node& n) {
  const Shape& y = g.tensor(n.outputs[0]).shape;
  return const_elements(g, n, 1) * y[0] * y[1] * y[2];
}

// ---- batch_norm: x [..., C], gamma, beta, mean, var each [C].
Shape batch_norm_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  if (x.empty()) fail(n, "input must have a channel axis");
  for (std::size_t i = 1; i < 5; ++i) {
    if (input_shape(g, n, i) != Shape{x.back()}) {
      fail(n, "statistic " + g.tensor(n.inputs[i]).name + " is " +
                  shape_string(input_shape(g, n, i)) + ", expected [" + std::to_string(x.back()) +
                  "]");
    }
  }
  if (!(n.attrs.epsilon > 0.0f)) fail(n, "epsilon must be positive");
  return x;
}
std::int64_t batch_norm_params(const Graph& g, const Node& n) {
  return 2 * input_shape(g, n, 0).back();
}
std::int64_t batch_norm_macs_torchinfo(const Graph& g, const Node& n) {
  return input_shape(g, n, 0)[0] * batch_norm_params(g, n);
}

// ---- add / mul: numpy-style broadcasting (squeeze-excite, attention, broadcast skips).
Shape broadcast_shape(const Graph& g, const Node& n) {
  const Shape& a = input_shape(g, n, 0);
  const Shape& b = input_shape(g, n, 1);
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      fail(n, "cannot broadcast " + shape_string(a) + " with " + shape_string(b));
    }
    out[i] = std::max(da, db);
  }
  return out;
}

Shape same_shape(const Graph& g, const Node& n) { return input_shape(g, n, 0); }

Shape clip_shape(const Graph& g, const Node& n) {
  if (!(n.attrs.clip_min < n.attrs.clip_max)) fail(n, "clip_min must be below clip_max");
  return input_shape(g, n, 0);
}

// ---- pools: x [N,H,W,C].
Shape pool_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  require_rank(n, x, 4, "input");
  const Attributes& a = n.attrs;
  return {
      x[0], window_output(n, "height", x[1], a.kernel_h, a.stride_h, 1, a.pad_top, a.pad_bottom),
      window_output(n, "width", x[2], a.kernel_w, a.stride_w, 1, a.pad_left, a.pad_right), x[3]};
}
Shape global_avg_pool_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  require_rank(n, x, 4, "input");
  return {x[0], 1, 1, x[3]};
}
// PyTorch's AdaptiveAvgPool2d: window i spans [floor(i*In/Out), ceil((i+1)*In/Out)).
Shape adaptive_avg_pool_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  require_rank(n, x, 4, "input");
  if (n.attrs.out_h < 1 || n.attrs.out_w < 1 || n.attrs.out_h > x[1] || n.attrs.out_w > x[2]) {
    fail(n, "output size " + std::to_string(n.attrs.out_h) + "x" + std::to_string(n.attrs.out_w) +
                " must be between 1x1 and the input's " + std::to_string(x[1]) + "x" +
                std::to_string(x[2]));
  }
  return {x[0], n.attrs.out_h, n.attrs.out_w, x[3]};
}

Shape pad_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  require_rank(n, x, 4, "input");
  const Attributes& a = n.attrs;
  if (a.pad_top < 0 || a.pad_bottom < 0 || a.pad_left < 0 || a.pad_right < 0) {
    fail(n, "padding must be non-negative");
  }
  return {x[0], x[1] + a.pad_top + a.pad_bottom, x[2] + a.pad_left + a.pad_right, x[3]};
}

int normalized_axis(const Node& n, int axis, std::size_t rank) {
  const int r = static_cast<int>(rank);
  const int normalized = axis < 0 ? axis + r : axis;
  if (normalized < 0 || normalized >= r) {
    fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
  }
  return normalized;
}

Shape concat_shape(const Graph& g, const Node& n) {
  Shape out = input_shape(g, n, 0);
  const auto axis = static_cast<std::size_t>(normalized_axis(n, n.attrs.axis, out.size()));
  for (std::size_t i = 1; i < n.inputs.size(); ++i) {
    const Shape& s = input_shape(g, n, i);
    bool compatible = s.size() == out.size();
    for (std::size_t d = 0; compatible && d < s.size(); ++d) {
      compatible = d == axis || s[d] == out[d];
    }
    if (!compatible) {
      fail(n, "input " + std::to_string(i) + " " + shape_string(s) + " does not match " +
                  shape_string(input_shape(g, n, 0)) + " outside axis " + std::to_string(axis));
    }
    out[axis] += s[axis];
  }
  return out;
}

Shape resize_nearest_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  require_rank(n, x, 4, "input");
  if (n.attrs.scale_h < 1 || n.attrs.scale_w < 1) fail(n, "scale factors must be ≥ 1");
  return {x[0], x[1] * n.attrs.scale_h, x[2] * n.attrs.scale_w, x[3]};
}

// ---- fully_connected: x [..., K], weight [O, K], optional bias [O] → [..., O].
Shape fully_connected_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  const Shape& w = input_shape(g, n, 1);
  require_rank(n, w, 2, "weight");
  if (x.empty() || x.back() != w[1]) {
    fail(n, "input " + shape_string(x) + " has " +
                (x.empty() ? std::string("no") : std::to_string(x.back())) + " features, weight " +
                shape_string(w) + " expects " + std::to_string(w[1]));
  }
  if (n.inputs.size() == 3 && input_shape(g, n, 2) != Shape{w[0]}) {
    fail(n,
         "bias " + shape_string(input_shape(g, n, 2)) + " must be [" + std::to_string(w[0]) + "]");
  }
  if (!n.attrs.keep_num_dims) return {num_elements(x) / w[1], w[0]};
  Shape out = x;
  out.back() = w[0];
  return out;
}
std::int64_t fully_connected_params(const Graph& g, const Node& n) {
  return const_elements(g, n, 1);
}
std::int64_t fully_connected_macs(const Graph& g, const Node& n) {
  const Shape& w = input_shape(g, n, 1);
  return num_elements(input_shape(g, n, 0)) / w[1] * w[0] * w[1];
}
std::int64_t fully_connected_macs_torchinfo(const Graph& g, const Node& n) {
  return input_shape(g, n, 0)[0] * fully_connected_params(g, n);
}

Shape reshape_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  Shape out = n.attrs.new_shape;
  std::int64_t known = 1;
  int unknown = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1 && unknown < 0) {
      unknown = static_cast<int>(i);
    } else if (out[i] < 1) {
      fail(n, "target shape " + shape_string(out) + " has an invalid dimension");
    } else {
      known *= out[i];
    }
  }
  const std::int64_t total = num_elements(x);
  if (unknown >= 0 && known > 0 && total % known == 0)
    out[static_cast<std::size_t>(unknown)] = total / known;
  if (num_elements(out) != total) {
    fail(n, "cannot reshape " + shape_string(x) + " to " + shape_string(n.attrs.new_shape));
  }
  return out;
}

Shape softmax_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  normalized_axis(n, n.attrs.axis, x.size());
  return x;
}

// ---- split: x cut into node.outputs.size() equal parts along attrs.axis (torch.chunk).
Shape split_shape(const Graph& g, const Node& n) {
  Shape out = input_shape(g, n, 0);
  const auto axis = static_cast<std::size_t>(normalized_axis(n, n.attrs.axis, out.size()));
  const auto parts = static_cast<std::int64_t>(n.outputs.size());
  if (parts < 1 || parts > kMaxSplitOutputs) {
    fail(n, std::to_string(parts) + " outputs; a split has 1.." + std::to_string(kMaxSplitOutputs));
  }
  if (out[axis] % parts != 0) {
    fail(n, "cannot split " + shape_string(out) + " into " + std::to_string(parts) +
                " equal parts along axis " + std::to_string(axis));
  }
  out[axis] /= parts;
  return out;
}

// ---- slice: the block attrs.slice_begin + [0, attrs.slice_size) along every axis.
Shape slice_shape(const Graph& g, const Node& n) {
  const Shape& x = input_shape(g, n, 0);
  const Shape& begin = n.attrs.slice_begin;
  const Shape& size = n.attrs.slice_size;
  if (begin.size() != x.size() || size.size() != x.size()) {
    fail(n, "begin " + shape_string(begin) + " and size " + shape_string(size) +
                " must each have one entry per axis of the input " + shape_string(x));
  }
  for (std::size_t d = 0; d < x.size(); ++d) {
    if (begin[d] < 0 || size[d] < 1 || size[d] > x[d] - begin[d]) {
      fail(n, "block at " + std::to_string(begin[d]) + " of length " + std::to_string(size[d]) +
                  " along axis " + std::to_string(d) + " is outside the input " + shape_string(x));
    }
  }
  return size;
}

// ---- paste: input 0 (the destination) with the block input 1 written at attrs.slice_begin;
// with the block alone, a tensor of shape attrs.new_shape holding it there (the rest is left
// for later pastes: patch-based execution writes a layer's output patch by patch).
Shape paste_shape(const Graph& g, const Node& n) {
  const bool has_destination = n.inputs.size() == 2;
  const Shape out = has_destination ? input_shape(g, n, 0) : n.attrs.new_shape;
  const Shape& block = input_shape(g, n, has_destination ? 1 : 0);
  const Shape& begin = n.attrs.slice_begin;
  if (block.size() != out.size() || begin.size() != out.size()) {
    fail(n, "block " + shape_string(block) + " at " + shape_string(begin) +
                " must have one entry per axis of the destination " + shape_string(out));
  }
  for (std::size_t d = 0; d < out.size(); ++d) {
    if (out[d] < 1 || begin[d] < 0 || block[d] > out[d] - begin[d]) {
      fail(n, "block " + shape_string(block) + " at " + shape_string(begin) +
                  " is outside the destination " + shape_string(out));
    }
  }
  return out;
}

// Per-op functions, in ops.def order (checked below); names of the ONNX and TFLite
// equivalents come from ops.def itself.
struct OpFunctions {
  const char* name;
  int min_inputs;
  int max_inputs;
  Shape (*infer_shape)(const Graph&, const Node&);
  std::int64_t (*params)(const Graph&, const Node&);
  std::int64_t (*macs)(const Graph&, const Node&);
  std::int64_t (*macs_torchinfo)(const Graph&, const Node&);
  std::int64_t (*scratch_bytes)(const Graph&, const Node&);
};

constexpr std::array<OpFunctions, kOpCount> kOpFunctions = {{
    {"conv2d", 2, 3, conv2d_shape, conv2d_params, conv2d_macs, conv2d_macs_torchinfo, zero},
    {"batch_norm", 5, 5, batch_norm_shape, batch_norm_params, zero, batch_norm_macs_torchinfo,
     zero},
    {"add", 2, 2, broadcast_shape, zero, zero, zero, zero},
    {"mul", 2, 2, broadcast_shape, zero, zero, zero, zero},
    {"hard_swish", 1, 1, same_shape, zero, zero, zero, zero},
    {"relu", 1, 1, same_shape, zero, zero, zero, zero},
    {"clip", 1, 1, clip_shape, zero, zero, zero, zero},
    {"sigmoid", 1, 1, same_shape, zero, zero, zero, zero},
    {"silu", 1, 1, same_shape, zero, zero, zero, zero},
    {"avg_pool", 1, 1, pool_shape, zero, zero, zero, zero},
    {"max_pool", 1, 1, pool_shape, zero, zero, zero, zero},
    {"global_avg_pool", 1, 1, global_avg_pool_shape, zero, zero, zero, zero},
    {"adaptive_avg_pool", 1, 1, adaptive_avg_pool_shape, zero, zero, zero, zero},
    {"pad", 1, 1, pad_shape, zero, zero, zero, zero},
    {"concat", 1, 64, concat_shape, zero, zero, zero, zero},
    {"resize_nearest", 1, 1, resize_nearest_shape, zero, zero, zero, zero},
    {"fully_connected", 2, 3, fully_connected_shape, fully_connected_params, fully_connected_macs,
     fully_connected_macs_torchinfo, zero},
    {"reshape", 1, 1, reshape_shape, zero, zero, zero, zero},
    {"softmax", 1, 1, softmax_shape, zero, zero, zero, zero},
    {"quantize", 1, 1, same_shape, zero, zero, zero, zero},
    {"dequantize", 1, 1, same_shape, zero, zero, zero, zero},
    {"leaky_relu", 1, 1, same_shape, zero, zero, zero, zero},
    {"tanh", 1, 1, same_shape, zero, zero, zero, zero},
    {"split", 1, 1, split_shape, zero, zero, zero, zero},
    {"slice", 1, 1, slice_shape, zero, zero, zero, zero},
    {"paste", 1, 2, paste_shape, zero, zero, zero, zero},
}};

// The table must list the ops in ops.def order, with the same names.
constexpr bool table_matches_op_list() {
  constexpr std::array<std::string_view, kOpCount> names = {
#define TINYSCALE_OP(name, onnx, tflite) #name,
#include "core/ops.def"
#undef TINYSCALE_OP
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] != kOpFunctions[i].name) return false;
  }
  return true;
}
static_assert(table_matches_op_list(), "core/ops.cpp table is out of step with core/ops.def");

constexpr std::array<OpInfo, kOpCount> make_op_table() {
  constexpr std::array<const char*, kOpCount> onnx = {
#define TINYSCALE_OP(name, onnx_op, tflite_op) onnx_op,
#include "core/ops.def"
#undef TINYSCALE_OP
  };
  constexpr std::array<const char*, kOpCount> tflite = {
#define TINYSCALE_OP(name, onnx_op, tflite_op) tflite_op,
#include "core/ops.def"
#undef TINYSCALE_OP
  };
  std::array<OpInfo, kOpCount> table{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const OpFunctions& f = kOpFunctions[i];
    const bool split = std::string_view(f.name) == "split";
    table[i] = OpInfo{f.name,
                      onnx[i],
                      tflite[i],
                      f.min_inputs,
                      f.max_inputs,
                      1,
                      split ? kMaxSplitOutputs : 1,
                      f.infer_shape,
                      f.params,
                      f.macs,
                      f.macs_torchinfo,
                      f.scratch_bytes};
  }
  return table;
}
constexpr std::array<OpInfo, kOpCount> kOpTable = make_op_table();

}  // namespace

const OpInfo& op_info(OpType op) { return kOpTable[static_cast<std::size_t>(op)]; }
const char* op_name(OpType op) { return op_info(op).name; }

bool parse_op_name(std::string_view name, OpType* op) {
  for (std::size_t i = 0; i < kOpTable.size(); ++i) {
    if (name == kOpTable[i].name) {
      *op = static_cast<OpType>(i);
      return true;
    }
  }
  return false;
}

}  // namespace tinyscale::core
