#include "export/data_init.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"
#include "engine/engine.h"

namespace tinyscale::exporter {
namespace {

// A channel is constant over the samples when its variance is float rounding noise.
bool is_constant_channel(double mean, double variance) {
  return !(variance > 1e-10 * mean * mean + 1e-24);
}

struct ChannelStats {
  std::vector<double> mean, variance;
};

// Per-channel (last axis) population mean and variance of `count` values.
ChannelStats channel_stats(const float* values, std::size_t count, std::size_t channels) {
  ChannelStats s;
  s.mean.assign(channels, 0.0);
  s.variance.assign(channels, 0.0);
  const double per_channel = static_cast<double>(count / channels);
  for (std::size_t k = 0; k < count; ++k) s.mean[k % channels] += values[k];
  for (double& m : s.mean) m /= per_channel;
  for (std::size_t k = 0; k < count; ++k) {
    const double d = values[k] - s.mean[k % channels];
    s.variance[k % channels] += d * d;
  }
  for (double& v : s.variance) v /= per_channel;
  return s;
}

// ---- output layers

// The layer channel a graph output channel comes from.
struct Source {
  int node = -1;  // conv2d / fully_connected in the caller's graph
  int channel = 0;
};

int normalized_axis(int axis, std::size_t rank) {
  return axis < 0 ? axis + static_cast<int>(rank) : axis;
}

// Follows tensor `t` (channels [offset, offset + C) of a graph output) back through ops
// that commute with a positive per-channel affine map to the conv2d / fully_connected
// that produces it. Returns false where the chain ends anywhere else.
bool trace_output(const core::Graph& g, const std::vector<int>& producer,
                  const std::vector<int>& uses, int t, std::size_t offset,
                  std::vector<Source>* sources) {
  if (uses[static_cast<std::size_t>(t)] != 1) return false;  // read elsewhere too
  const int p = producer[static_cast<std::size_t>(t)];
  if (p < 0) return false;
  const core::Node& n = g.nodes[static_cast<std::size_t>(p)];
  const core::Shape& out = g.tensor(t).shape;
  switch (n.op) {
    case core::OpType::conv2d:
    case core::OpType::fully_connected: {
      if (n.attrs.fused_activation != core::FusedActivation::none) return false;
      const auto channels = static_cast<std::size_t>(g.tensor(n.inputs[1]).shape[0]);
      for (std::size_t c = 0; c < channels && offset + c < sources->size(); ++c)
        (*sources)[offset + c] = {p, static_cast<int>(c)};
      return true;
    }
    case core::OpType::reshape:
      if (g.tensor(n.inputs[0]).shape.back() != out.back()) return false;
      return trace_output(g, producer, uses, n.inputs[0], offset, sources);
    case core::OpType::avg_pool:
      if (n.attrs.pad_top || n.attrs.pad_bottom || n.attrs.pad_left || n.attrs.pad_right)
        return false;  // zero padding counted into the average is not affine per channel
      return trace_output(g, producer, uses, n.inputs[0], offset, sources);
    case core::OpType::global_avg_pool:
    case core::OpType::adaptive_avg_pool:
    case core::OpType::max_pool:
    case core::OpType::resize_nearest:
      return trace_output(g, producer, uses, n.inputs[0], offset, sources);
    case core::OpType::concat: {
      if (normalized_axis(n.attrs.axis, out.size()) != static_cast<int>(out.size()) - 1)
        return false;
      bool any = false;
      std::size_t at = offset;
      for (int in : n.inputs) {
        any = trace_output(g, producer, uses, in, at, sources) || any;
        at += static_cast<std::size_t>(g.tensor(in).shape.back());
      }
      return any;
    }
    default:
      return false;
  }
}

// A layer whose biases all hold one value: a prior set by the builder, not a random init.
bool has_prior(const core::Graph& g, const core::Node& layer) {
  if (layer.inputs.size() < 3) return false;
  const auto bias = g.tensor(layer.inputs[2]).values<float>();
  return bias.size() > 1 && std::all_of(bias.begin(), bias.end(),
                                        [&](float v) { return v == bias.front(); });
}

// ---- BatchNorm

struct BatchNormUpdate {
  bool done = false;
  std::vector<float> gamma, beta, mean, var;
};

struct Probe {
  const engine::CompiledModel* model;
  const core::Graph* original;
  const std::vector<int>* target;  // lowered tensor id -> original batch_norm node, or -1
  std::vector<BatchNormUpdate>* updates;
  int constant_channels = 0;
  std::string error;
};

std::span<const float> params(const core::Graph& g, const core::Node& bn, int input) {
  return g.tensor(bn.inputs[static_cast<std::size_t>(input)]).values<float>();
}

// Called after every node of the batched pass: a BatchNorm output is measured, the
// BatchNorm given the statistics of its input, and the output rewritten in place to what
// the new parameters give, before any later node reads it.
void normalize_batch_norm_outputs(void* user, int at) {
  auto* probe = static_cast<Probe*>(user);
  if (!probe->error.empty()) return;
  const core::Node& node = probe->model->graph().nodes[static_cast<std::size_t>(at)];
  for (int id : node.outputs) {
    const int b = (*probe->target)[static_cast<std::size_t>(id)];
    if (b < 0) continue;
    const core::Node& bn = probe->original->nodes[static_cast<std::size_t>(b)];
    const engine::TensorRef& t = probe->model->tensor(id);
    const auto count = static_cast<std::size_t>(core::num_elements(t.shape()));
    const auto channels = static_cast<std::size_t>(t.shape().back());
    const ChannelStats y = channel_stats(t.as<float>(), count, channels);
    const auto gamma = params(*probe->original, bn, 1), beta = params(*probe->original, bn, 2),
               mean = params(*probe->original, bn, 3), var = params(*probe->original, bn, 4);
    const double eps = bn.attrs.epsilon;
    if (gamma.size() != channels || beta.size() != channels || mean.size() != channels ||
        var.size() != channels) {
      probe->error = "data init: BatchNorm '" + bn.name + "' has " + std::to_string(gamma.size()) +
                     " parameters per tensor; its output " + core::shape_string(t.shape()) +
                     " has " + std::to_string(channels) + " channels";
      return;
    }
    BatchNormUpdate& u = (*probe->updates)[static_cast<std::size_t>(b)];
    u.gamma.resize(channels), u.beta.resize(channels), u.mean.resize(channels),
        u.var.resize(channels);
    std::vector<double> rescale(channels), shift(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      // y = s (x - mean) + beta with s = gamma / sqrt(var + eps): the input's statistics.
      const double s_old = gamma[c] / std::sqrt(static_cast<double>(var[c]) + eps);
      if (!(std::isfinite(s_old) && s_old != 0.0)) {
        probe->error = "data init: BatchNorm '" + bn.name + "' channel " + std::to_string(c) +
                       " has gamma " + number_text(gamma[c]) + "; its input cannot be recovered";
        return;
      }
      const double x_mean = (y.mean[c] - beta[c]) / s_old + mean[c];
      const double x_var = y.variance[c] / (s_old * s_old);
      double s_new = 0.0;
      u.mean[c] = static_cast<float>(x_mean);
      u.beta[c] = 0.0f;
      if (is_constant_channel(x_mean, x_var)) {
        ++probe->constant_channels;
        u.var[c] = 1.0f;
        u.gamma[c] = 1.0f;
        s_new = 1.0 / std::sqrt(1.0 + eps);
      } else {
        // gamma absorbs eps, so s_new = 1 / sqrt(x_var) exactly: unit variance.
        u.var[c] = static_cast<float>(x_var);
        u.gamma[c] = static_cast<float>(std::sqrt(x_var + eps) / std::sqrt(x_var));
        s_new = u.gamma[c] / std::sqrt(static_cast<double>(u.var[c]) + eps);
      }
      rescale[c] = s_new / s_old;
      shift[c] = s_new * (mean[c] - static_cast<double>(u.mean[c]) - beta[c] / s_old);
    }
    float* values = t.as<float>();
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t c = k % channels;
      values[k] = static_cast<float>(values[k] * rescale[c] + shift[c]);
    }
    u.done = true;
  }
}

// A BatchNorm the lowering left alone (not after a convolution) as the equivalent depthwise
// 1×1 convolution, which the float kernels run.
void batch_norm_as_depthwise_conv(core::Graph& g, core::Node& bn) {
  const core::Shape& x = g.tensor(bn.inputs[0]).shape;
  if (x.size() != 4) {
    throw Error("data init: BatchNorm '" + bn.name + "' on a " + core::shape_string(x) +
                " tensor; only NHWC (4-D) inputs can run in the float kernels");
  }
  const std::int64_t channels = x[3];
  const auto gamma = params(g, bn, 1), beta = params(g, bn, 2), mean = params(g, bn, 3),
             var = params(g, bn, 4);
  std::vector<float> w(static_cast<std::size_t>(channels)), b(w.size());
  for (std::size_t c = 0; c < w.size(); ++c) {
    const double s = gamma[c] / std::sqrt(static_cast<double>(var[c]) + bn.attrs.epsilon);
    w[c] = static_cast<float>(s);
    b[c] = static_cast<float>(beta[c] - mean[c] * s);
  }
  const int w_id = g.add_constant(bn.name + ".data_init_weight", {channels, 1, 1, 1}, w);
  const int b_id = g.add_constant(bn.name + ".data_init_bias", {channels}, b);
  bn.op = core::OpType::conv2d;
  bn.inputs = {bn.inputs[0], w_id, b_id};
  bn.attrs = core::Attributes{};
  bn.attrs.groups = static_cast<int>(channels);
}

// The graph with batch `batch` instead of 1 (shapes inferred again).
void set_batch(core::Graph& g, std::int64_t batch) {
  g.tensor(g.inputs[0]).shape[0] = batch;
  for (core::Node& node : g.nodes) {
    if (node.op == core::OpType::reshape && !node.attrs.new_shape.empty() &&
        node.attrs.new_shape[0] == 1)
      node.attrs.new_shape[0] = batch;
    if (!node.attrs.slice_size.empty() && !node.attrs.slice_begin.empty() &&
        node.attrs.slice_size[0] == 1 && node.attrs.slice_begin[0] == 0)
      node.attrs.slice_size[0] = batch;  // a slice keeps the whole batch
    const core::Shape shape = core::op_info(node.op).infer_shape(g, node);
    for (int id : node.outputs) g.tensor(id).shape = shape;
  }
}

void check_materialized(const core::Graph& g, const core::Node& node, std::size_t from,
                        std::size_t to) {
  for (std::size_t i = from; i < std::min(to, node.inputs.size()); ++i) {
    if (!g.tensor(node.inputs[i]).has_data()) {
      throw Error("data init: '" + g.tensor(node.inputs[i]).name + "' of node '" + node.name +
                  "' has no values (build with weights)");
    }
  }
}

// The batched pass must compute what the graph computes on one sample: an op whose
// attributes pin the batch to 1 would mix the samples up silently (a slice keeping only the
// first, broadcast against the others). The last sample of the batch is run alone through the
// graph with its new BatchNorms and compared with its part of every batched output.
void check_against_single_run(const core::Graph& graph, std::span<const std::vector<float>> samples,
                              std::int64_t batch, const engine::CompiledModel& batched) {
  const std::vector<float>& sample = samples[static_cast<std::size_t>(batch - 1)];
  const core::Graph lowered = core::lower_for_deployment(graph);
  engine::CompiledModel single;
  char error[512] = "";
  if (single.compile(lowered, {}, error, sizeof error) != engine::Status::ok)
    throw Error(std::string("data init: cannot run the initialized float graph: ") + error);
  std::copy(sample.begin(), sample.end(), single.input(0).as<float>());
  if (single.run() != engine::Status::ok) throw Error("data init: the float check run failed");
  for (int o = 0; o < single.num_outputs(); ++o) {
    const engine::TensorRef& one = single.output(o);
    const auto count = static_cast<std::size_t>(core::num_elements(one.shape()));
    const float* part =
        batched.output(o).as<const float>() + static_cast<std::size_t>(batch - 1) * count;
    double diff = 0.0, power = 0.0;
    for (std::size_t k = 0; k < count; ++k) {
      const double d = static_cast<double>(one.as<const float>()[k]) - part[k];
      diff = std::max(diff, std::fabs(d));
      power += static_cast<double>(part[k]) * part[k];
    }
    const double rms = std::sqrt(power / static_cast<double>(std::max<std::size_t>(count, 1)));
    if (!(diff <= 1e-2 * rms + 1e-6)) {
      throw Error("data init: output '" +
                  lowered.tensor(lowered.outputs[static_cast<std::size_t>(o)]).name +
                  "' of the batched pass differs from a single-sample run by " + number_text(diff) +
                  " (rms " + number_text(rms) +
                  "); an op of the lowered graph does not keep the batch");
    }
  }
}

}  // namespace

std::string DataInitReport::summary() const {
  std::string s = "data-dependent (BatchNorm statistics of " + std::to_string(samples) + " sample" +
                  (samples == 1 ? "" : "s") + ": " + std::to_string(batch_norms) + " BatchNorm" +
                  (batch_norms == 1 ? "" : "s") + ", " + std::to_string(output_layers) +
                  " output layer" + (output_layers == 1 ? "" : "s") + " scaled";
  if (constant_channels > 0)
    s += "; " + std::to_string(constant_channels) + " channels constant over the samples";
  return s + ")";
}

DataInitReport data_dependent_init(core::Graph& graph, std::span<const std::vector<float>> samples,
                                   const DataInitOptions& options) {
  if (graph.inputs.size() != 1) throw Error("data init: graphs with exactly one input only");
  if (samples.empty()) throw Error("data init: no calibration samples");
  const core::Shape& input_shape = graph.tensor(graph.inputs[0]).shape;
  if (input_shape.empty() || input_shape[0] != 1) {
    throw Error("data init: input " + core::shape_string(input_shape) + " must have batch 1");
  }
  const auto input_count = static_cast<std::size_t>(core::num_elements(input_shape));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].size() != input_count) {
      throw Error("data init: calibration sample " + std::to_string(i) + " has " +
                  std::to_string(samples[i].size()) + " values; the input " +
                  core::shape_string(input_shape) + " needs " + std::to_string(input_count));
    }
    if (!std::all_of(samples[i].begin(), samples[i].end(),
                     [](float v) { return std::isfinite(v); })) {
      throw Error("data init: calibration sample " + std::to_string(i) +
                  " holds a non-finite value");
    }
  }

  // The BatchNorms, by the name of their output tensor, which survives the lowering.
  std::map<std::string, int> batch_norm_of_output;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    if (node.op != core::OpType::batch_norm) continue;
    check_materialized(graph, node, 1, 5);
    batch_norm_of_output[graph.tensor(node.outputs[0]).name] = static_cast<int>(n);
  }

  // Output layers, traced on the caller's graph.
  const std::vector<int> producer = graph.producers();
  const std::vector<int> uses = graph.use_counts();
  std::vector<std::vector<Source>> output_sources(graph.outputs.size());
  for (std::size_t o = 0; o < graph.outputs.size(); ++o) {
    const core::Shape& shape = graph.tensor(graph.outputs[o]).shape;
    output_sources[o].resize(static_cast<std::size_t>(shape.empty() ? 1 : shape.back()));
    if (!trace_output(graph, producer, uses, graph.outputs[o], 0, &output_sources[o]))
      output_sources[o].clear();
    for (const Source& s : output_sources[o]) {
      if (s.node >= 0)
        check_materialized(graph, graph.nodes[static_cast<std::size_t>(s.node)], 1, 3);
    }
  }

  // The lowered graph, every BatchNorm output kept as a graph output while lowering so no
  // activation is fused over it (the float values are measured before the activation).
  core::Graph lowered = graph;
  const std::size_t real_outputs = lowered.outputs.size();
  for (const core::Node& node : graph.nodes) {
    if (node.op == core::OpType::batch_norm &&
        std::find(lowered.outputs.begin(), lowered.outputs.end(), node.outputs[0]) ==
            lowered.outputs.end())
      lowered.outputs.push_back(node.outputs[0]);
  }
  lowered = core::lower_for_deployment(std::move(lowered));
  lowered.outputs.resize(real_outputs);
  for (core::Node& node : lowered.nodes) {
    if (node.op == core::OpType::batch_norm) batch_norm_as_depthwise_conv(lowered, node);
  }
  std::vector<int> target(lowered.tensors.size(), -1);
  for (std::size_t t = 0; t < lowered.tensors.size(); ++t) {
    const core::Tensor& tensor = lowered.tensors[t];
    const auto it = batch_norm_of_output.find(tensor.name);
    if (!tensor.is_constant && it != batch_norm_of_output.end()) target[t] = it->second;
  }

  // Batch size: every sample up to max_samples, within the memory allowance.
  char error[512] = "";
  std::int64_t batch = std::min<std::int64_t>(static_cast<std::int64_t>(samples.size()),
                                              std::max(1, options.max_samples));
  {
    engine::CompiledModel single;
    if (single.compile(lowered, {}, error, sizeof error) != engine::Status::ok)
      throw Error(std::string("data init: cannot run the float graph: ") + error);
    const std::int64_t per_sample = std::max<std::int64_t>(1, single.arena_bytes());
    batch = std::max<std::int64_t>(1, std::min(batch, options.max_batch_bytes / per_sample));
  }
  set_batch(lowered, batch);
  engine::CompiledModel model;
  if (model.compile(lowered, {}, error, sizeof error) != engine::Status::ok)
    throw Error(std::string("data init: cannot run the batched float graph: ") + error);
  float* in = model.input(0).as<float>();
  for (std::int64_t i = 0; i < batch; ++i)
    in = std::copy(samples[static_cast<std::size_t>(i)].begin(),
                   samples[static_cast<std::size_t>(i)].end(), in);

  std::vector<BatchNormUpdate> updates(graph.nodes.size());
  Probe probe{&model, &graph, &target, &updates, 0, {}};
  if (model.run(normalize_batch_norm_outputs, &probe) != engine::Status::ok)
    throw Error("data init: the batched float pass failed");
  if (!probe.error.empty()) throw Error(probe.error);

  DataInitReport report;
  report.samples = static_cast<int>(batch);
  report.constant_channels = probe.constant_channels;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    core::Node& bn = graph.nodes[n];
    if (bn.op != core::OpType::batch_norm) continue;
    const BatchNormUpdate& u = updates[n];
    if (!u.done) {
      throw Error("data init: the output of BatchNorm '" + bn.name +
                  "' was not computed by the lowered graph");
    }
    const std::vector<float>* values[] = {&u.gamma, &u.beta, &u.mean, &u.var};
    for (std::size_t i = 0; i < 4; ++i) {
      core::Tensor& p = graph.tensor(bn.inputs[i + 1]);
      if (p.values<float>().size() != values[i]->size()) {
        throw Error("data init: '" + p.name + "' holds " +
                    std::to_string(p.values<float>().size()) + " values; BatchNorm '" + bn.name +
                    "' has " + std::to_string(values[i]->size()) + " channels");
      }
      std::memcpy(p.data.data(), values[i]->data(), p.data.size());
    }
    ++report.batch_norms;
  }
  check_against_single_run(graph, samples, batch, model);

  // Output layers: every channel of a traced graph output standardized over the samples.
  std::vector<char> scaled(graph.nodes.size(), 0);
  std::vector<char> prior_layer(graph.nodes.size(), 0);  // decided before any bias moves
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) prior_layer[n] = has_prior(graph, graph.nodes[n]);
  for (std::size_t o = 0; o < output_sources.size(); ++o) {
    if (output_sources[o].empty()) continue;
    const engine::TensorRef& t = model.output(static_cast<int>(o));
    const auto count = static_cast<std::size_t>(core::num_elements(t.shape()));
    const std::size_t channels = output_sources[o].size();
    const ChannelStats y = channel_stats(t.as<float>(), count, channels);
    for (std::size_t c = 0; c < channels; ++c) {
      const Source& s = output_sources[o][c];
      if (s.node < 0) continue;
      const core::Node& layer = graph.nodes[static_cast<std::size_t>(s.node)];
      if (is_constant_channel(y.mean[c], y.variance[c])) {
        ++report.constant_channels;
        continue;
      }
      const bool has_bias = layer.inputs.size() >= 3;
      // Without a bias nothing can centre the channel: its root mean square becomes 1.
      const double second_moment = has_bias ? y.variance[c] : y.variance[c] + y.mean[c] * y.mean[c];
      const double a = 1.0 / std::sqrt(second_moment);
      auto w = graph.tensor(layer.inputs[1]).mutable_values<float>();
      const std::size_t per_channel =
          w.size() / static_cast<std::size_t>(graph.tensor(layer.inputs[1]).shape[0]);
      const auto ch = static_cast<std::size_t>(s.channel);
      for (std::size_t k = 0; k < per_channel; ++k)
        w[ch * per_channel + k] = static_cast<float>(w[ch * per_channel + k] * a);
      if (has_bias) {
        float& b = graph.tensor(layer.inputs[2]).mutable_values<float>()[ch];
        // A bias the builder set to one value for the whole layer is a prior (YOLOv8's class
        // prior) and stays the channel's mean; PyTorch's random biases are centred away.
        const double prior = prior_layer[static_cast<std::size_t>(s.node)] ? b : 0.0;
        b = static_cast<float>((b - y.mean[c]) * a + prior);
      }
      scaled[static_cast<std::size_t>(s.node)] = 1;
    }
  }
  report.output_layers = static_cast<int>(std::count(scaled.begin(), scaled.end(), 1));
  return report;
}

}  // namespace tinyscale::exporter
