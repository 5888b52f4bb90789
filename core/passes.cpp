#include "core/passes.h"

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

void fuse_activations(Graph& g) {
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
  std::vector<int> new_id(g.tensors.size(), -1);
  std::vector<Tensor> tensors;
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
  fuse_activations(graph);
  add_conv_bias(graph);
  compact(graph);
  return graph;
}

}  // namespace tinyscale::core
