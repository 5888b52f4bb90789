#include "engine/liveness.h"

#include <algorithm>

#include "core/ops.h"

namespace tinyscale::engine {

bool op_runs_in_place(core::OpType op) {
  switch (op) {
    case core::OpType::relu:
    case core::OpType::clip:
    case core::OpType::hard_swish:
    case core::OpType::sigmoid:
    case core::OpType::tanh:
    case core::OpType::leaky_relu:
    case core::OpType::quantize:
    case core::OpType::dequantize:
    case core::OpType::reshape:
    case core::OpType::add:
    case core::OpType::mul:
    case core::OpType::paste:
      return true;
    default:
      return false;
  }
}

bool depthwise_runs_in_place(const core::Graph& graph, const core::Node& node,
                             bool int8_activations) {
  if (node.op != core::OpType::conv2d || node.inputs.size() < 2 || node.outputs.size() != 1) {
    return false;
  }
  const core::Tensor& x = graph.tensor(node.inputs[0]);
  const core::Tensor& w = graph.tensor(node.inputs[1]);
  const core::Tensor& y = graph.tensor(node.outputs[0]);
  const bool int8 =
      x.dtype == core::DType::int8 || (int8_activations && x.dtype == core::DType::float32);
  return int8 && x.dtype == y.dtype && x.shape.size() == 4 && w.shape.size() == 4 &&
         x.shape == y.shape && w.shape[3] == 1 && w.shape[0] == x.shape[3] &&
         node.attrs.groups == x.shape[3];
}

std::int64_t in_place_scratch_bytes(const core::Graph& graph, const core::Node& node) {
  if (node.op != core::OpType::conv2d) return 0;
  const core::Shape& x = graph.tensor(node.inputs[0]).shape;
  return x.size() == 4 ? x[1] * x[2] : 0;
}

ArenaBuffers collect_arena_buffers(const core::Graph& graph, const ArenaOptions& options) {
  const int last_step = std::max(0, static_cast<int>(graph.nodes.size()) - 1);
  const std::size_t num_tensors = graph.tensors.size();
  std::vector<int> first(num_tensors, -1);
  std::vector<int> last(num_tensors, -1);
  std::vector<char> pinned(num_tensors, 0);  // graph inputs and outputs: never overwritten
  for (int id : graph.inputs) {
    first[static_cast<std::size_t>(id)] = last[static_cast<std::size_t>(id)] = 0;
    pinned[static_cast<std::size_t>(id)] = 1;
  }
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const int step = static_cast<int>(n);
    for (int id : graph.nodes[n].outputs) {
      first[static_cast<std::size_t>(id)] = last[static_cast<std::size_t>(id)] = step;
    }
    for (int id : graph.nodes[n].inputs) {
      last[static_cast<std::size_t>(id)] = std::max(last[static_cast<std::size_t>(id)], step);
    }
  }
  for (int id : graph.outputs) {
    last[static_cast<std::size_t>(id)] = last_step;
    pinned[static_cast<std::size_t>(id)] = 1;
  }

  ArenaBuffers result;
  result.in_place_input.assign(graph.nodes.size(), -1);
  // owner[t]: the tensor whose buffer t lives in (t itself unless t overwrites an input).
  std::vector<int> owner(num_tensors);
  for (std::size_t t = 0; t < num_tensors; ++t) owner[t] = static_cast<int>(t);
  std::vector<int> group_last = last;  // per owner: the last step of its whole chain
  if (options.in_place && !options.no_reuse) {
    for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
      const core::Node& node = graph.nodes[n];
      const bool depthwise = depthwise_runs_in_place(graph, node, options.int8_activations);
      if (!(op_runs_in_place(node.op) || depthwise) || node.outputs.size() != 1 ||
          node.inputs.empty()) {
        continue;
      }
      if (std::find(options.not_in_place.begin(), options.not_in_place.end(),
                    static_cast<int>(n)) != options.not_in_place.end()) {
        continue;
      }
      // A paste overwrites its destination (input 0) only; the block alone is never
      // overwritten, even when it fills the whole output, nor a destination that is its
      // own block (the block and the output must not overlap).
      if (node.op == core::OpType::paste &&
          (node.inputs.size() != 2 || node.inputs[0] == node.inputs[1])) {
        continue;
      }
      const int out = node.outputs[0];
      const core::Tensor& y = graph.tensor(out);
      if (y.is_constant || first[static_cast<std::size_t>(out)] != static_cast<int>(n)) continue;
      const bool binary = node.op == core::OpType::add || node.op == core::OpType::mul;
      for (std::size_t k = 0; k < (binary ? std::min<std::size_t>(2, node.inputs.size()) : 1);
           ++k) {
        const int in = node.inputs[k];
        const auto i = static_cast<std::size_t>(in);
        const core::Tensor& x = graph.tensor(in);
        if (x.is_constant || pinned[i] || first[i] < 0 || last[i] != static_cast<int>(n) ||
            x.dtype != y.dtype || core::num_elements(x.shape) != core::num_elements(y.shape)) {
          continue;
        }
        const auto root = static_cast<std::size_t>(owner[i]);
        owner[static_cast<std::size_t>(out)] = static_cast<int>(root);
        group_last[root] = std::max(group_last[root], last[static_cast<std::size_t>(out)]);
        result.in_place_input[n] = in;
        break;
      }
    }
  }

  // A fused multiply's other operand lives until its convolution (the whole chain sharing
  // its buffer with it).
  result.fused_multiply_into.assign(graph.nodes.size(), -1);
  if (!options.no_reuse) {
    for (const FusedMultiply& f : options.fused_multiplies) {
      if (f.mul < 0 || f.conv <= f.mul || static_cast<std::size_t>(f.conv) >= graph.nodes.size()) {
        continue;
      }
      const core::Node& mul = graph.nodes[static_cast<std::size_t>(f.mul)];
      const int x = result.in_place_input[static_cast<std::size_t>(f.mul)];
      if (mul.op != core::OpType::mul || mul.inputs.size() != 2 || x < 0) continue;
      const int other = mul.inputs[0] == x ? mul.inputs[1] : mul.inputs[0];
      const auto root = static_cast<std::size_t>(owner[static_cast<std::size_t>(other)]);
      group_last[root] = std::max(group_last[root], f.conv);
      result.fused_multiply_into[static_cast<std::size_t>(f.mul)] = f.conv;
    }
  }

  result.tensor_buffer.assign(num_tensors, -1);
  for (std::size_t t = 0; t < num_tensors; ++t) {
    const core::Tensor& tensor = graph.tensors[t];
    if (tensor.is_constant || first[t] < 0) continue;
    const auto root = static_cast<std::size_t>(owner[t]);
    if (root != t) {
      // Overwrites a tensor whose buffer is already listed (an owner's id need not be lower:
      // then the owner is listed first below, when the loop reaches it).
      if (result.tensor_buffer[root] >= 0) {
        result.tensor_buffer[t] = result.tensor_buffer[root];
      }
      continue;
    }
    const std::int64_t element_bytes =
        options.int8_activations ? 1 : core::dtype_size(tensor.dtype);
    result.tensor_buffer[t] = static_cast<int>(result.buffers.size());
    if (options.no_reuse) {
      result.buffers.push_back({core::num_elements(tensor.shape) * element_bytes, 0, last_step});
    } else {
      result.buffers.push_back(
          {core::num_elements(tensor.shape) * element_bytes, first[t], group_last[t]});
    }
    result.tensor.push_back(static_cast<int>(t));
    result.node.push_back(-1);
  }
  // Tensors listed before their owner.
  for (std::size_t t = 0; t < num_tensors; ++t) {
    if (result.tensor_buffer[t] < 0 && owner[t] != static_cast<int>(t)) {
      result.tensor_buffer[t] = result.tensor_buffer[static_cast<std::size_t>(owner[t])];
    }
  }
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    std::int64_t scratch = options.node_scratch_bytes.empty()
                               ? core::op_info(node.op).scratch_bytes(graph, node)
                               : options.node_scratch_bytes[n];
    if (result.in_place_input[n] >= 0) {
      scratch = std::max(scratch, in_place_scratch_bytes(graph, node));
    }
    if (scratch <= 0) continue;
    const int step = static_cast<int>(n);
    if (options.no_reuse) {
      result.buffers.push_back({scratch, 0, last_step});
    } else {
      result.buffers.push_back({scratch, step, step});
    }
    result.tensor.push_back(-1);
    result.node.push_back(step);
  }
  return result;
}

ArenaPlan plan_arena(const core::Graph& graph, const ArenaOptions& options) {
  ArenaPlan result;
  result.buffers = collect_arena_buffers(graph, options);
  const std::span<const std::int64_t> capacities = options.region_capacities;
  if (capacities.empty()) {
    result.plan = plan_memory(result.buffers.buffers, options.algorithm, options.alignment);
    result.buffer_regions.assign(result.buffers.buffers.size(), 0);
    result.region_peak_bytes = {result.plan.peak_bytes};
  } else {
    // The fixed bytes go to the largest region (the first of equals).
    std::vector<std::int64_t> room(capacities.begin(), capacities.end());
    const auto largest = std::max_element(room.begin(), room.end());
    result.fixed_region = static_cast<int>(largest - room.begin());
    *largest -= options.home_region_fixed_bytes;
    const RegionPlan regions =
        plan_memory_regions(result.buffers.buffers, room, options.algorithm, options.alignment);
    result.plan.algorithm = options.algorithm;
    result.plan.offsets = regions.offsets;
    result.plan.peak_bytes = regions.total_peak_bytes();
    result.plan.lower_bound_bytes = regions.lower_bound_bytes;
    result.buffer_regions = regions.regions;
    result.region_peak_bytes = regions.peak_bytes;
    result.fits = regions.fits;
  }
  result.tensor_offsets.assign(graph.tensors.size(), -1);
  result.tensor_regions.assign(graph.tensors.size(), -1);
  for (std::size_t t = 0; t < graph.tensors.size(); ++t) {
    const int b = result.buffers.tensor_buffer[t];
    if (b >= 0) {
      result.tensor_offsets[t] = result.plan.offsets[static_cast<std::size_t>(b)];
      result.tensor_regions[t] = result.buffer_regions[static_cast<std::size_t>(b)];
    }
  }
  result.live_bytes_at_step.assign(graph.nodes.size(), 0);
  for (const PlannerBuffer& b : result.buffers.buffers) {
    const std::int64_t bytes = align_up(b.size, options.alignment);
    for (int s = b.first_use; s <= b.last_use && s < static_cast<int>(graph.nodes.size()); ++s) {
      result.live_bytes_at_step[static_cast<std::size_t>(s)] += bytes;
    }
  }
  return result;
}

ArenaPlan plan_arena_for_deployment(const core::Graph& graph, const ArenaOptions& given) {
  // The fused multiplies are candidates, taken last.
  ArenaOptions options = given;
  options.fused_multiplies = {};
  ArenaPlan best = plan_arena(graph, options);
  if (!options.in_place || options.no_reuse) return best;
  auto same_footprint = [&](const ArenaPlan& p) {
    return p.plan.peak_bytes == best.plan.peak_bytes && p.fits == best.fits &&
           p.region_peak_bytes == best.region_peak_bytes;
  };
  std::vector<int> excluded(options.not_in_place.begin(), options.not_in_place.end());
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    if (node.op != core::OpType::conv2d || best.buffers.in_place_input[n] < 0) continue;
    excluded.push_back(static_cast<int>(n));
    ArenaOptions trial = options;
    trial.not_in_place = excluded;
    ArenaPlan p = plan_arena(graph, trial);
    if (same_footprint(p)) {
      best = std::move(p);
    } else {
      excluded.pop_back();
    }
  }
  const std::span<const std::int64_t> optional = options.node_optional_scratch_bytes;
  const bool with_optional = options.node_scratch_bytes.size() == graph.nodes.size() &&
                             optional.size() == graph.nodes.size();
  std::vector<std::int64_t> scratch(options.node_scratch_bytes.begin(),
                                    options.node_scratch_bytes.end());
  for (std::size_t n = 0; with_optional && n < graph.nodes.size(); ++n) {
    if (optional[n] <= 0) continue;
    scratch[n] += optional[n];
    ArenaOptions trial = options;
    trial.not_in_place = excluded;
    trial.node_scratch_bytes = scratch;
    ArenaPlan p = plan_arena(graph, trial);
    if (same_footprint(p)) {
      best = std::move(p);
    } else {
      scratch[n] -= optional[n];
    }
  }
  if (!given.fused_multiplies.empty()) {
    std::vector<FusedMultiply> taken;
    ArenaOptions trial = options;
    trial.not_in_place = excluded;
    if (with_optional) trial.node_scratch_bytes = scratch;
    for (const FusedMultiply& f : given.fused_multiplies) {
      taken.push_back(f);
      trial.fused_multiplies = taken;
      ArenaPlan p = plan_arena(graph, trial);
      if (same_footprint(p) && f.mul >= 0 && static_cast<std::size_t>(f.mul) < graph.nodes.size() &&
          p.buffers.fused_multiply_into[static_cast<std::size_t>(f.mul)] == f.conv) {
        best = std::move(p);
      } else {
        taken.pop_back();
      }
    }
  }
  return best;
}

}  // namespace tinyscale::engine
