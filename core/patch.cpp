// Patch-based execution: the stage search and the rewrite (see core/patch.h).
#include "core/patch.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <utility>

#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"

namespace tinyscale::core {
namespace {

// Rows [y0, y1) and columns [x0, x1) of an NHWC tensor.
struct Region {
  std::int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  bool empty() const { return y1 <= y0 || x1 <= x0; }
  bool operator==(const Region&) const = default;
};

Region bounding_box(const Region& a, const Region& b) {
  return {std::min(a.y0, b.y0), std::max(a.y1, b.y1), std::min(a.x0, b.x0), std::max(a.x1, b.x1)};
}

bool is_window_op(OpType op) {
  return op == OpType::conv2d || op == OpType::avg_pool || op == OpType::max_pool;
}

bool is_rank4(const Graph& g, int id) { return g.tensor(id).shape.size() == 4; }

// A constant operand of an element-wise op that broadcasts the same way over any tile: one
// value, or one per channel.
bool broadcasts_over_tiles(const Graph& g, int id, std::int64_t channels) {
  const Shape& s = g.tensor(id).shape;
  const std::int64_t n = num_elements(s);
  if (n != 1 && n != channels) return false;
  return s.empty() || s.back() == n;
}

// True when every output pixel of `node` depends only on a window of its inputs' pixels
// around it (see core/patch.h), so a tile of its output can be computed from a tile of its
// inputs.
bool is_local(const Graph& g, const Node& node) {
  if (node.outputs.size() != 1 || node.inputs.empty() || !is_rank4(g, node.outputs[0])) {
    return false;
  }
  const Shape& y = g.tensor(node.outputs[0]).shape;
  switch (node.op) {
    case OpType::conv2d:
    case OpType::batch_norm:
      // Input 0 the activation, the rest constants (weights, bias, statistics).
      if (g.tensor(node.inputs[0]).is_constant || !is_rank4(g, node.inputs[0])) return false;
      for (std::size_t i = 1; i < node.inputs.size(); ++i) {
        if (!g.tensor(node.inputs[i]).is_constant) return false;
      }
      return true;
    case OpType::avg_pool:
    case OpType::max_pool:
    case OpType::pad:
    case OpType::relu:
    case OpType::clip:
    case OpType::hard_swish:
    case OpType::sigmoid:
    case OpType::silu:
    case OpType::tanh:
    case OpType::leaky_relu:
    case OpType::quantize:
    case OpType::dequantize:
      return !g.tensor(node.inputs[0]).is_constant && is_rank4(g, node.inputs[0]);
    case OpType::add:
    case OpType::mul: {
      bool any_activation = false;
      for (const int in : node.inputs) {
        const Tensor& t = g.tensor(in);
        if (t.is_constant) {
          if (!broadcasts_over_tiles(g, in, y[3])) return false;
        } else {
          if (t.shape != y) return false;
          any_activation = true;
        }
      }
      return any_activation;
    }
    case OpType::concat: {
      if (node.attrs.axis != 3 && node.attrs.axis != -1) return false;
      for (const int in : node.inputs) {
        if (g.tensor(in).is_constant || !is_rank4(g, in)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// The rows [y0, y1) and columns [x0, x1) of an input of shape `x` a tile needs, clamped to
// the input; the parts cut off are the tile's padding (only where it touches the border).
Region clamp_to_input(std::int64_t y0, std::int64_t y1, std::int64_t x0, std::int64_t x1,
                      const Shape& x, Attributes* attrs) {
  const Region r{std::max<std::int64_t>(y0, 0), std::min(y1, x[1]), std::max<std::int64_t>(x0, 0),
                 std::min(x1, x[2])};
  if (attrs) {
    attrs->pad_top = static_cast<int>(r.y0 - y0);
    attrs->pad_bottom = static_cast<int>(y1 - r.y1);
    attrs->pad_left = static_cast<int>(r.x0 - x0);
    attrs->pad_right = static_cast<int>(x1 - r.x1);
  }
  return r;
}

// The region of input `input` node needs to compute `out` of its output, and the padding
// the node's copy for that tile takes (only where the tile touches the border).
Region input_region(const Graph& g, const Node& node, int input, const Region& out,
                    Attributes* attrs) {
  const Shape& x = g.tensor(node.inputs[static_cast<std::size_t>(input)]).shape;
  const Attributes& a = node.attrs;
  if (attrs) *attrs = a;
  if (is_window_op(node.op) && input == 0) {
    const int dh = node.op == OpType::conv2d ? a.dilation_h : 1;
    const int dw = node.op == OpType::conv2d ? a.dilation_w : 1;
    return clamp_to_input(out.y0 * a.stride_h - a.pad_top,
                          (out.y1 - 1) * a.stride_h - a.pad_top + dh * (a.kernel_h - 1) + 1,
                          out.x0 * a.stride_w - a.pad_left,
                          (out.x1 - 1) * a.stride_w - a.pad_left + dw * (a.kernel_w - 1) + 1, x,
                          attrs);
  }
  if (node.op == OpType::pad) {
    return clamp_to_input(out.y0 - a.pad_top, out.y1 - a.pad_top, out.x0 - a.pad_left,
                          out.x1 - a.pad_left, x, attrs);
  }
  return out;  // element-wise, batch_norm, concat: the same pixels
}

class Rewriter {
 public:
  Rewriter(const Graph& in, const PatchStage& stage, int grid)
      : in_(in), stage_(stage), grid_(grid) {}

  PatchedGraph run() {
    PatchedGraph p;
    p.stage = stage_;
    p.choice = {stage_.layers, grid_};
    out_ = &p.graph;
    out_->tensors = in_.tensors;
    out_->inputs = in_.inputs;
    out_->outputs = in_.outputs;
    out_->metadata = in_.metadata;
    origin_ = &p.origin;
    patch_ = &p.patch;

    // The nodes before the stage (a float input's quantization) run whole.
    for (int n = 0; n < stage_.first_node; ++n) {
      out_->nodes.push_back(in_.nodes[static_cast<std::size_t>(n)]);
      origin_->push_back(n);
      patch_->push_back(-1);
    }
    const Shape& t_shape = in_.tensor(stage_.tensor).shape;
    int destination = -1;
    for (int i = 0; i < grid_; ++i) {
      for (int j = 0; j < grid_; ++j) {
        const Region cell{t_shape[1] * i / grid_, t_shape[1] * (i + 1) / grid_,
                          t_shape[2] * j / grid_, t_shape[2] * (j + 1) / grid_};
        const int patch = i * grid_ + j;
        compute_patch(patch, cell);
        const int block = view(stage_.tensor, cell, patch);
        Attributes a;
        a.slice_begin = {0, cell.y0, cell.x0, 0};
        const bool last = patch == grid_ * grid_ - 1;
        std::vector<int> inputs;
        if (destination < 0) {
          a.new_shape = t_shape;
        } else {
          inputs.push_back(destination);
        }
        inputs.push_back(block);
        destination = add(
            OpType::paste, in_.tensor(stage_.tensor).name + ".p" + std::to_string(patch) + ".paste",
            std::move(inputs), a, in_.tensor(stage_.tensor), -1, patch, last ? stage_.tensor : -1);
      }
    }
    for (std::size_t n = static_cast<std::size_t>(stage_.last_node) + 1; n < in_.nodes.size();
         ++n) {
      out_->nodes.push_back(in_.nodes[n]);
      origin_->push_back(static_cast<int>(n));
      patch_->push_back(-1);
    }
    // The stage's whole-tensor intermediates are read by nothing now: drop them (the origin
    // and patch vectors stay valid, compact() keeps the nodes in order).
    compact(*out_);
    p.plain_macs = graph_macs(in_);
    p.macs = graph_macs(p.graph);
    return p;
  }

 private:
  // Appends a node whose output has `like`'s dtype and quantization (or is `output`, an
  // existing tensor id, when given); returns the output id.
  int add(OpType op, std::string name, std::vector<int> inputs, const Attributes& attrs,
          const Tensor& like, int origin, int patch, int output = -1) {
    Node node;
    node.op = op;
    node.name = std::move(name);
    node.inputs = std::move(inputs);
    node.attrs = attrs;
    node.outputs = {-1};
    Shape shape = op_info(op).infer_shape(*out_, node);
    if (output < 0) {
      Tensor t;
      t.name = node.name;
      t.dtype = like.dtype;
      t.quantization = like.quantization;
      t.shape = std::move(shape);
      output = out_->add_tensor(std::move(t));
    } else if (out_->tensor(output).shape != shape) {
      throw Error("patches: '" + node.name + "' gives " + shape_string(shape) + " for " +
                  shape_string(out_->tensor(output).shape));
    }
    node.outputs = {output};
    out_->nodes.push_back(std::move(node));
    origin_->push_back(origin);
    patch_->push_back(patch);
    return output;
  }

  // The tensor holding `region` of original tensor `t` in this patch: its tile, or a slice of
  // it when the tile holds more.
  int view(int t, const Region& region, int patch) {
    const auto i = static_cast<std::size_t>(t);
    if (have_[i] == region) return tile_[i];
    const Tensor& like = in_.tensor(t);
    Attributes a;
    a.slice_begin = {0, region.y0 - have_[i].y0, region.x0 - have_[i].x0, 0};
    a.slice_size = {like.shape[0], region.y1 - region.y0, region.x1 - region.x0, like.shape[3]};
    return add(OpType::slice,
               like.name + ".p" + std::to_string(patch) + ".slice" + std::to_string(++slices_),
               {tile_[i]}, a, like, -1, patch);
  }

  void compute_patch(int patch, const Region& cell) {
    const std::size_t tensors = in_.tensors.size();
    need_.assign(tensors, Region{});
    known_.assign(tensors, 0);
    have_.assign(tensors, Region{});
    tile_.assign(tensors, -1);
    slices_ = 0;
    const auto t_index = static_cast<std::size_t>(stage_.tensor);
    need_[t_index] = cell;
    known_[t_index] = 1;
    // Backwards: each tensor's tile is the union of what its readers in the stage need.
    for (int n = stage_.last_node; n >= stage_.first_node; --n) {
      const Node& node = in_.nodes[static_cast<std::size_t>(n)];
      const auto o = static_cast<std::size_t>(node.outputs[0]);
      if (!known_[o]) continue;  // not on the way to T (cannot happen at a cut)
      for (std::size_t k = 0; k < node.inputs.size(); ++k) {
        const int in = node.inputs[k];
        const auto i = static_cast<std::size_t>(in);
        if (in_.tensor(in).is_constant) continue;
        const Region r = input_region(in_, node, static_cast<int>(k), need_[o], nullptr);
        if (r.empty()) {
          throw Error("patches: a " + std::to_string(grid_) + "x" + std::to_string(grid_) +
                      " split leaves layer '" + node.name +
                      "' a patch that lies wholly in its padding; use fewer patches");
        }
        need_[i] = known_[i] ? bounding_box(need_[i], r) : r;
        known_[i] = 1;
      }
    }
    // The stage's input (the graph input, or a float input's int8 quantization): sliced to
    // what the first layers need.
    const int x = stage_.input;
    const auto xi = static_cast<std::size_t>(x);
    const Shape& xs = in_.tensor(x).shape;
    have_[xi] = {0, xs[1], 0, xs[2]};
    tile_[xi] = x;
    if (known_[xi] && !(need_[xi] == have_[xi])) {
      tile_[xi] = view(x, need_[xi], patch);
      have_[xi] = need_[xi];
    }
    // Forwards: every stage node for its tile.
    for (int n = stage_.first_node; n <= stage_.last_node; ++n) {
      const Node& node = in_.nodes[static_cast<std::size_t>(n)];
      const int out = node.outputs[0];
      const auto o = static_cast<std::size_t>(out);
      if (!known_[o]) continue;
      std::vector<int> inputs;
      Attributes attrs = node.attrs;
      for (std::size_t k = 0; k < node.inputs.size(); ++k) {
        const int in = node.inputs[k];
        if (in_.tensor(in).is_constant) {
          inputs.push_back(in);
          continue;
        }
        Attributes a;
        const Region r = input_region(in_, node, static_cast<int>(k), need_[o], &a);
        if (k == 0) attrs = a;
        inputs.push_back(view(in, r, patch));
      }
      tile_[o] = add(node.op, node.name + ".p" + std::to_string(patch), std::move(inputs), attrs,
                     in_.tensor(out), n, patch);
      have_[o] = need_[o];
      const Shape& got = out_->tensor(tile_[o]).shape;
      if (got[1] != need_[o].y1 - need_[o].y0 || got[2] != need_[o].x1 - need_[o].x0) {
        throw Error("patches: layer '" + node.name + "' gives a " + shape_string(got) +
                    " tile where " + std::to_string(need_[o].y1 - need_[o].y0) + "x" +
                    std::to_string(need_[o].x1 - need_[o].x0) + " was needed");
      }
    }
  }

  const Graph& in_;
  PatchStage stage_;
  int grid_;
  Graph* out_ = nullptr;
  std::vector<int>* origin_ = nullptr;
  std::vector<int>* patch_ = nullptr;
  std::vector<Region> need_, have_;
  std::vector<char> known_;
  std::vector<int> tile_;
  int slices_ = 0;
};

std::string layer_counts_text(const std::vector<PatchStage>& stages) {
  std::string s;
  for (const PatchStage& st : stages) {
    if (!s.empty()) s += ", ";
    s += std::to_string(st.layers);
  }
  return s;
}

}  // namespace

std::vector<PatchStage> patch_stages(const Graph& g) {
  std::vector<PatchStage> stages;
  if (g.inputs.size() != 1 || !is_rank4(g, g.inputs[0])) return stages;
  const std::size_t tensors = g.tensors.size();
  std::vector<int> last_use(tensors, -1);
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    for (const int in : g.nodes[n].inputs) {
      last_use[static_cast<std::size_t>(in)] = static_cast<int>(n);
    }
  }
  std::vector<char> is_output(tensors, 0);
  for (const int out : g.outputs) {
    last_use[static_cast<std::size_t>(out)] = INT_MAX;
    is_output[static_cast<std::size_t>(out)] = 1;
  }
  // A float input's quantization runs whole; the stage reads its int8 output.
  std::size_t first = 0;
  int input = g.inputs[0];
  if (!g.nodes.empty() && g.nodes[0].op == OpType::quantize && g.nodes[0].inputs[0] == input &&
      g.tensor(input).dtype == DType::float32 && g.nodes[0].outputs.size() == 1 &&
      last_use[static_cast<std::size_t>(input)] == 0 &&
      g.tensor(g.nodes[0].outputs[0]).dtype != DType::float32) {
    first = 1;
    input = g.nodes[0].outputs[0];
  }
  // Activation tensors computed so far (or the input) that a later node still reads.
  std::vector<int> live = {input};
  int layers = 0;
  for (std::size_t n = first; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    if (!is_local(g, node)) break;
    if (is_window_op(node.op)) ++layers;
    for (const int out : node.outputs) {
      if (last_use[static_cast<std::size_t>(out)] > static_cast<int>(n)) live.push_back(out);
    }
    std::erase_if(
        live, [&](int t) { return last_use[static_cast<std::size_t>(t)] <= static_cast<int>(n); });
    if (live.size() != 1 || layers == 0) continue;
    const int t = live[0];
    if (t == input || is_output[static_cast<std::size_t>(t)] || !is_rank4(g, t)) continue;
    const Shape& s = g.tensor(t).shape;
    const PatchStage stage{
        static_cast<int>(first), static_cast<int>(n), layers, t, input, s[1], s[2]};
    if (!stages.empty() && stages.back().layers == layers) {
      stages.back() = stage;
    } else {
      stages.push_back(stage);
    }
  }
  return stages;
}

std::string patch_choice_text(const PatchChoice& choice) {
  if (!choice.enabled()) return "off";
  return std::to_string(choice.layers) + "," + std::to_string(choice.grid);
}

std::string patch_copy_of(const std::string& node_name) {
  const std::size_t dot = node_name.rfind(".p");
  if (dot == std::string::npos || dot == 0 || dot + 2 == node_name.size()) return "";
  for (std::size_t i = dot + 2; i < node_name.size(); ++i) {
    if (node_name[i] < '0' || node_name[i] > '9') return "";
  }
  return node_name.substr(0, dot);
}

std::int64_t graph_macs(const Graph& graph) {
  std::int64_t total = 0;
  for (const Node& node : graph.nodes) total += op_info(node.op).macs(graph, node);
  return total;
}

PatchedGraph apply_patches(const Graph& graph, const PatchChoice& choice) {
  if (!choice.enabled()) {
    PatchedGraph p;
    p.graph = graph;
    p.choice = {};
    p.origin.resize(graph.nodes.size());
    for (std::size_t n = 0; n < graph.nodes.size(); ++n) p.origin[n] = static_cast<int>(n);
    p.patch.assign(graph.nodes.size(), -1);
    p.plain_macs = p.macs = graph_macs(graph);
    return p;
  }
  const std::vector<PatchStage> stages = patch_stages(graph);
  if (stages.empty()) {
    throw Error(
        "patches: no stage of this network can run in patches (its first layers are not "
        "spatially local, or a branch crosses every layer boundary)");
  }
  const auto it = std::find_if(stages.begin(), stages.end(),
                               [&](const PatchStage& s) { return s.layers == choice.layers; });
  if (it == stages.end()) {
    throw Error("patches: no stage ends after " + std::to_string(choice.layers) +
                " layers; stages can end after " + layer_counts_text(stages) + " layers");
  }
  if (choice.grid > it->height || choice.grid > it->width) {
    throw Error("patches: a " + std::to_string(choice.grid) + "x" + std::to_string(choice.grid) +
                " split is finer than the stage's " + std::to_string(it->height) + "x" +
                std::to_string(it->width) + " output");
  }
  return Rewriter(graph, *it, choice.grid).run();
}

}  // namespace tinyscale::core
