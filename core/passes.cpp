#include "core/passes.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/ops.h"

namespace tinyscale::core {
namespace {

// The single node reading `tensor`, or -1 when it has several readers or is a graph output.
std::vector<int> sole_consumers(const Graph& g) {
  std::vector<int> consumer(g.tensors.size(), -1);
  const std::vector<int> uses = g.use_counts();
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    for (int in : g.nodes[n].inputs) {
      if (uses[static_cast<std::size_t>(in)] == 1)
        consumer[static_cast<std::size_t>(in)] = static_cast<int>(n);
    }
  }
  return consumer;
}

void mark_removed(Node& node) { node.outputs.clear(); }
bool is_removed(const Node& node) { return node.outputs.empty(); }

// Whether a pass has anything to do: a graph without the ops it rewrites is left as it is
// (lowering an already deployed graph again, as quantize_layout does, then costs a scan).
bool has_op(const Graph& g, OpType op) {
  return std::any_of(g.nodes.begin(), g.nodes.end(),
                     [op](const Node& node) { return node.op == op; });
}

}  // namespace

void expand_silu(Graph& g) {
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].op != OpType::silu) continue;
    const int x = g.nodes[n].inputs[0];
    Tensor gate = g.tensor(x);
    gate.name = g.nodes[n].name + ".sigmoid";
    gate.is_constant = false;
    gate.data.clear();
    const int gate_id = g.add_tensor(std::move(gate));
    Node sigmoid;
    sigmoid.op = OpType::sigmoid;
    sigmoid.name = g.nodes[n].name + ".sigmoid";
    sigmoid.inputs = {x};
    sigmoid.outputs = {gate_id};
    g.nodes[n].op = OpType::mul;
    g.nodes[n].inputs = {x, gate_id};
    g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(n), std::move(sigmoid));
    ++n;
  }
}

void fold_pad_into_conv(Graph& g) {
  if (!has_op(g, OpType::pad)) {
    remove_dead_nodes(g);
    return;
  }
  const std::vector<int> consumer = sole_consumers(g);
  for (Node& pad : g.nodes) {
    if (is_removed(pad) || pad.op != OpType::pad || pad.attrs.pad_value != 0.0f) continue;
    const int reader = consumer[static_cast<std::size_t>(pad.outputs[0])];
    if (reader < 0) continue;
    Node& conv = g.nodes[static_cast<std::size_t>(reader)];
    if (conv.op != OpType::conv2d || conv.inputs[0] != pad.outputs[0]) continue;
    // An int8 PAD pads with its zero point, as the int8 conv pads with its input's: the
    // same only when the PAD does not requantize (TFLite requires that, but files vary).
    const Quantization& in_q = g.tensor(pad.inputs[0]).quantization;
    const Quantization& out_q = g.tensor(pad.outputs[0]).quantization;
    if (in_q.scales != out_q.scales || in_q.zero_points != out_q.zero_points) continue;
    conv.attrs.pad_top += pad.attrs.pad_top;
    conv.attrs.pad_bottom += pad.attrs.pad_bottom;
    conv.attrs.pad_left += pad.attrs.pad_left;
    conv.attrs.pad_right += pad.attrs.pad_right;
    conv.inputs[0] = pad.inputs[0];
    mark_removed(pad);
  }
  remove_dead_nodes(g);
}

void fold_batch_norm(Graph& g) {
  if (!has_op(g, OpType::batch_norm)) {
    remove_dead_nodes(g);
    return;
  }
  const std::vector<int> consumer = sole_consumers(g);
  const std::vector<int> producer = g.producers();
  for (Node& bn : g.nodes) {
    if (is_removed(bn) || bn.op != OpType::batch_norm) continue;
    const int p = producer[static_cast<std::size_t>(bn.inputs[0])];
    if (p < 0 || consumer[static_cast<std::size_t>(bn.inputs[0])] < 0) continue;
    Node& conv = g.nodes[static_cast<std::size_t>(p)];
    if (conv.op != OpType::conv2d || conv.attrs.fused_activation != FusedActivation::none) continue;

    const Tensor& weight = g.tensor(conv.inputs[1]);
    const std::int64_t channels = weight.shape[0];
    const bool has_bias = conv.inputs.size() == 3;
    bool materialized = weight.has_data() && (!has_bias || g.tensor(conv.inputs[2]).has_data());
    for (std::size_t i = 1; i < 5; ++i)
      materialized = materialized && g.tensor(bn.inputs[i]).has_data();

    Tensor new_weight = weight;
    new_weight.name = conv.name + ".weight";
    Tensor new_bias;
    new_bias.name = conv.name + ".bias";
    new_bias.shape = {channels};
    new_bias.is_constant = true;
    if (materialized) {
      const auto gamma = g.tensor(bn.inputs[1]).values<float>();
      const auto beta = g.tensor(bn.inputs[2]).values<float>();
      const auto mean = g.tensor(bn.inputs[3]).values<float>();
      const auto var = g.tensor(bn.inputs[4]).values<float>();
      auto w = new_weight.mutable_values<float>();
      const std::size_t per_channel = w.size() / static_cast<std::size_t>(channels);
      std::vector<float> bias(static_cast<std::size_t>(channels));
      for (std::size_t c = 0; c < bias.size(); ++c) {
        const double scale = gamma[c] / std::sqrt(static_cast<double>(var[c]) + bn.attrs.epsilon);
        for (std::size_t k = 0; k < per_channel; ++k) {
          w[c * per_channel + k] = static_cast<float>(w[c * per_channel + k] * scale);
        }
        const double b = has_bias ? g.tensor(conv.inputs[2]).values<float>()[c] : 0.0;
        bias[c] = static_cast<float>((b - mean[c]) * scale + beta[c]);
      }
      new_bias.data.resize(bias.size() * sizeof(float));
      std::memcpy(new_bias.data.data(), bias.data(), new_bias.data.size());
    } else {
      new_weight.data.clear();
    }
    const int w_id = g.add_tensor(std::move(new_weight));
    const int b_id = g.add_tensor(std::move(new_bias));
    conv.inputs = {conv.inputs[0], w_id, b_id};
    conv.outputs = bn.outputs;
    mark_removed(bn);
  }
  remove_dead_nodes(g);
}

void lower_batch_norm(Graph& g) {
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].op != OpType::batch_norm) continue;
    const Node bn = g.nodes[n];
    const Tensor& x = g.tensor(bn.inputs[0]);
    const std::int64_t channels = x.shape.back();
    bool materialized = true;
    for (std::size_t i = 1; i < 5; ++i)
      materialized = materialized && g.tensor(bn.inputs[i]).has_data();
    const int scale = g.add_constant(bn.name + ".scale", {channels});
    const int shift = g.add_constant(bn.name + ".shift", {channels});
    if (materialized) {
      // The arithmetic of the engine's float batch_norm kernel, so both runs agree.
      std::vector<float> s(static_cast<std::size_t>(channels)), t(s.size());
      const auto gamma = g.tensor(bn.inputs[1]).values<float>();
      const auto beta = g.tensor(bn.inputs[2]).values<float>();
      const auto mean = g.tensor(bn.inputs[3]).values<float>();
      const auto var = g.tensor(bn.inputs[4]).values<float>();
      for (std::size_t c = 0; c < s.size(); ++c) {
        const double k = gamma[c] / std::sqrt(static_cast<double>(var[c]) + bn.attrs.epsilon);
        s[c] = static_cast<float>(k);
        t[c] = static_cast<float>(beta[c] - mean[c] * k);
      }
      for (auto [id, values] : {std::pair{scale, &s}, std::pair{shift, &t}}) {
        Tensor& c = g.tensor(id);
        c.data.resize(values->size() * sizeof(float));
        std::memcpy(c.data.data(), values->data(), c.data.size());
      }
    }
    Tensor scaled = g.tensor(bn.inputs[0]);
    scaled.name = bn.name + ".scaled";
    scaled.is_constant = false;
    scaled.data.clear();
    const int scaled_id = g.add_tensor(std::move(scaled));
    Node mul;
    mul.op = OpType::mul;
    mul.name = bn.name + ".mul";
    mul.inputs = {bn.inputs[0], scale};
    mul.outputs = {scaled_id};
    Node& add = g.nodes[n];
    add.op = OpType::add;
    add.inputs = {scaled_id, shift};
    add.attrs = {};
    g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(n), std::move(mul));
    ++n;
  }
}

namespace {

// PyTorch's AdaptiveAvgPool2d bins along one axis, grouped into runs of consecutive bins of
// one size whose starts step evenly: one average pool (kernel `size`, stride `step`) over
// the block [begin, begin + span) computes a whole run.
struct BinRun {
  std::int64_t begin = 0, span = 0;
  int count = 0, size = 0, step = 1;
};

std::vector<BinRun> adaptive_bin_runs(std::int64_t in, std::int64_t out) {
  std::vector<BinRun> runs;
  for (std::int64_t i = 0; i < out; ++i) {
    const std::int64_t start = i * in / out;
    const auto size = static_cast<int>(((i + 1) * in + out - 1) / out - start);
    if (!runs.empty()) {
      BinRun& r = runs.back();
      const std::int64_t step = start - (r.begin + static_cast<std::int64_t>(r.count - 1) * r.step);
      if (size == r.size && (r.count == 1 || step == r.step)) {
        r.step = static_cast<int>(step);
        ++r.count;
        r.span = start + size - r.begin;
        continue;
      }
    }
    runs.push_back({start, size, 1, size, 1});
  }
  // A run whose windows are exactly those of a pool over the whole axis needs no slice.
  for (BinRun& r : runs) {
    if (r.begin == 0 && (in - r.size) / r.step + 1 == r.count) r.span = in;
  }
  return runs;
}

// Appends `node` (outputs unset) to `nodes` with a new output tensor shaped by the op table,
// carrying `like`'s dtype and quantization (pooling, slicing and concatenation share their
// input's). Returns the output id.
int append_node(Graph& g, std::vector<Node>& nodes, Node node, const Tensor& like,
                int output = -1) {
  const Shape shape = op_info(node.op).infer_shape(g, node);
  if (output < 0) {
    Tensor t;
    t.name = node.name;
    t.shape = shape;
    t.dtype = like.dtype;
    t.quantization = like.quantization;
    output = g.add_tensor(std::move(t));
  }
  node.outputs = {output};
  nodes.push_back(std::move(node));
  return output;
}

// The block [begin_h, +span_h) x [begin_w, +span_w) of x pooled by (kernel, stride) per axis.
int pool_block(Graph& g, std::vector<Node>& nodes, const std::string& name, int x, const BinRun& h,
               const BinRun& w, int output) {
  const Tensor like = g.tensor(x);
  const Shape& s = like.shape;
  int block = x;
  if (h.span != s[1] || w.span != s[2]) {
    Node slice;
    slice.op = OpType::slice;
    slice.name = name + ".slice";
    slice.inputs = {x};
    slice.attrs.slice_begin = {0, h.span == s[1] ? 0 : h.begin, w.span == s[2] ? 0 : w.begin, 0};
    slice.attrs.slice_size = {s[0], h.span, w.span, s[3]};
    block = append_node(g, nodes, std::move(slice), like);
  }
  Node pool;
  pool.op = OpType::avg_pool;
  pool.name = name;
  pool.inputs = {block};
  pool.attrs.kernel_h = h.size;
  pool.attrs.kernel_w = w.size;
  pool.attrs.stride_h = h.step;
  pool.attrs.stride_w = w.step;
  return append_node(g, nodes, std::move(pool), like, output);
}

int concat(Graph& g, std::vector<Node>& nodes, const std::string& name, std::vector<int> parts,
           int axis, int output) {
  if (parts.size() == 1 && output < 0) return parts[0];
  const Tensor like = g.tensor(parts[0]);
  Node c;
  c.op = OpType::concat;
  c.name = name;
  c.inputs = std::move(parts);
  c.attrs.axis = axis;
  return append_node(g, nodes, std::move(c), like, output);
}

// Every run of `runs` along `axis` (1: H, 2: W) pooled over the whole other axis, concatenated.
int pool_axis(Graph& g, std::vector<Node>& nodes, const std::string& name, int x,
              const std::vector<BinRun>& runs, int axis, int output) {
  const std::int64_t other = g.tensor(x).shape[static_cast<std::size_t>(3 - axis)];
  const BinRun whole{0, other, static_cast<int>(other), 1, 1};  // kernel 1: the axis stays
  std::vector<int> parts;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::string part = name + (axis == 1 ? ".h" : ".w") + std::to_string(r);
    const int last = runs.size() == 1 ? output : -1;
    parts.push_back(axis == 1 ? pool_block(g, nodes, part, x, runs[r], whole, last)
                              : pool_block(g, nodes, part, x, whole, runs[r], last));
  }
  return runs.size() == 1 ? parts[0]
                          : concat(g, nodes, name + (axis == 1 ? ".concat_h" : ".concat_w"),
                                   std::move(parts), axis, output);
}

}  // namespace

void lower_adaptive_avg_pool(Graph& g) {
  if (!has_op(g, OpType::adaptive_avg_pool)) return;
  std::vector<Node> nodes;
  nodes.reserve(g.nodes.size());
  for (Node& node : g.nodes) {
    if (node.op != OpType::adaptive_avg_pool) {
      nodes.push_back(std::move(node));
      continue;
    }
    const int x = node.inputs[0];
    const int y = node.outputs[0];
    const Shape in = g.tensor(x).shape;
    const std::vector<BinRun> rows = adaptive_bin_runs(in[1], node.attrs.out_h);
    const std::vector<BinRun> cols = adaptive_bin_runs(in[2], node.attrs.out_w);
    if (rows.size() * cols.size() <= rows.size() + cols.size()) {
      // Few blocks (one axis even, or 2 x 2 runs): each block pooled in one step, one rounding.
      std::vector<int> row_parts;
      for (std::size_t r = 0; r < rows.size(); ++r) {
        std::vector<int> blocks;
        const bool one_row = rows.size() == 1;
        for (std::size_t c = 0; c < cols.size(); ++c) {
          const bool only = one_row && cols.size() == 1;
          blocks.push_back(
              pool_block(g, nodes, node.name + ".h" + std::to_string(r) + "w" + std::to_string(c),
                         x, rows[r], cols[c], only ? y : -1));
        }
        if (blocks.size() == 1) {
          row_parts.push_back(blocks[0]);
        } else {
          row_parts.push_back(concat(g, nodes, node.name + ".h" + std::to_string(r) + ".concat_w",
                                     std::move(blocks), 2, one_row ? y : -1));
        }
      }
      if (row_parts.size() > 1) concat(g, nodes, node.name + ".concat_h", row_parts, 1, y);
    } else {
      // Many blocks: rows first, then columns (the smaller intermediate tensor first).
      const bool rows_first = node.attrs.out_h * in[2] <= in[1] * node.attrs.out_w;
      if (rows_first) {
        pool_axis(g, nodes, node.name, pool_axis(g, nodes, node.name, x, rows, 1, -1), cols, 2, y);
      } else {
        pool_axis(g, nodes, node.name, pool_axis(g, nodes, node.name, x, cols, 2, -1), rows, 1, y);
      }
    }
  }
  g.nodes = std::move(nodes);
}

void fuse_activations(Graph& g) {
  if (!has_op(g, OpType::relu) && !has_op(g, OpType::clip)) {
    remove_dead_nodes(g);
    return;
  }
  const std::vector<int> consumer = sole_consumers(g);
  const std::vector<int> producer = g.producers();
  for (Node& act : g.nodes) {
    if (is_removed(act)) continue;
    FusedActivation fused = FusedActivation::none;
    if (act.op == OpType::relu) fused = FusedActivation::relu;
    if (act.op == OpType::clip && act.attrs.clip_min == 0.0f && act.attrs.clip_max == 6.0f) {
      fused = FusedActivation::relu6;
    }
    if (fused == FusedActivation::none) continue;
    const int x = act.inputs[0];
    const int p = producer[static_cast<std::size_t>(x)];
    if (p < 0 || consumer[static_cast<std::size_t>(x)] < 0) continue;
    Node& prod = g.nodes[static_cast<std::size_t>(p)];
    const bool fusable =
        prod.op == OpType::conv2d || prod.op == OpType::fully_connected || prod.op == OpType::add;
    if (!fusable || prod.attrs.fused_activation != FusedActivation::none) continue;
    prod.attrs.fused_activation = fused;
    prod.outputs = act.outputs;
    mark_removed(act);
  }
  remove_dead_nodes(g);
}

void remove_dead_nodes(Graph& g) {
  std::erase_if(g.nodes, [](const Node& node) { return is_removed(node); });
}

void compact(Graph& g) {
  remove_dead_nodes(g);

  std::vector<char> used(g.tensors.size(), 0);
  for (int id : g.inputs) used[static_cast<std::size_t>(id)] = 1;
  for (int id : g.outputs) used[static_cast<std::size_t>(id)] = 1;
  for (const Node& node : g.nodes) {
    for (int id : node.inputs) used[static_cast<std::size_t>(id)] = 1;
    for (int id : node.outputs) used[static_cast<std::size_t>(id)] = 1;
  }
  if (std::find(used.begin(), used.end(), 0) == used.end()) return;  // nothing to drop
  std::vector<int> new_id(g.tensors.size(), -1);
  std::vector<Tensor> tensors;
  tensors.reserve(g.tensors.size());
  for (std::size_t t = 0; t < g.tensors.size(); ++t) {
    if (!used[t]) continue;
    new_id[t] = static_cast<int>(tensors.size());
    tensors.push_back(std::move(g.tensors[t]));
  }
  g.tensors = std::move(tensors);
  auto remap = [&](std::vector<int>& ids) {
    for (int& id : ids) id = new_id[static_cast<std::size_t>(id)];
  };
  remap(g.inputs);
  remap(g.outputs);
  for (Node& node : g.nodes) {
    remap(node.inputs);
    remap(node.outputs);
  }
}

void add_conv_bias(Graph& g) {
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].op != OpType::conv2d || g.nodes[n].inputs.size() != 2) continue;
    const Tensor& weight = g.tensor(g.nodes[n].inputs[1]);
    const std::int64_t channels = weight.shape[0];
    const bool materialized = weight.has_data();
    const int bias = g.add_constant(g.nodes[n].name + ".zero_bias", {channels});
    if (materialized) g.tensor(bias).data.assign(static_cast<std::size_t>(channels) * 4, 0);
    g.nodes[n].inputs.push_back(bias);
  }
}

Graph lower_for_deployment(Graph graph) {
  expand_silu(graph);
  fold_pad_into_conv(graph);
  fold_batch_norm(graph);
  lower_batch_norm(graph);
  lower_adaptive_avg_pool(graph);
  fuse_activations(graph);
  add_conv_bias(graph);
  compact(graph);
  return graph;
}

}  // namespace tinyscale::core
