#include "engine/liveness.h"

#include <algorithm>

#include "core/ops.h"

namespace tinyscale::engine {

ArenaBuffers collect_arena_buffers(const core::Graph& graph, const ArenaOptions& options) {
  const int last_step = std::max(0, static_cast<int>(graph.nodes.size()) - 1);
  std::vector<int> first(graph.tensors.size(), -1);
  std::vector<int> last(graph.tensors.size(), -1);
  for (int id : graph.inputs)
    first[static_cast<std::size_t>(id)] = last[static_cast<std::size_t>(id)] = 0;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const int step = static_cast<int>(n);
    for (int id : graph.nodes[n].outputs) {
      first[static_cast<std::size_t>(id)] = last[static_cast<std::size_t>(id)] = step;
    }
    for (int id : graph.nodes[n].inputs) {
      last[static_cast<std::size_t>(id)] = std::max(last[static_cast<std::size_t>(id)], step);
    }
  }
  for (int id : graph.outputs) last[static_cast<std::size_t>(id)] = last_step;

  ArenaBuffers result;
  for (std::size_t t = 0; t < graph.tensors.size(); ++t) {
    const core::Tensor& tensor = graph.tensors[t];
    if (tensor.is_constant || first[t] < 0) continue;
    const std::int64_t element_bytes =
        options.int8_activations ? 1 : core::dtype_size(tensor.dtype);
    result.buffers.push_back({core::num_elements(tensor.shape) * element_bytes, first[t], last[t]});
    result.tensor.push_back(static_cast<int>(t));
    result.node.push_back(-1);
  }
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    const std::int64_t scratch = options.node_scratch_bytes.empty()
                                     ? core::op_info(node.op).scratch_bytes(graph, node)
                                     : options.node_scratch_bytes[n];
    if (scratch <= 0) continue;
    const int step = static_cast<int>(n);
    result.buffers.push_back({scratch, step, step});
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
    const RegionPlan regions = plan_memory_regions(result.buffers.buffers, room,
                                                   options.algorithm, options.alignment);
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
  for (std::size_t i = 0; i < result.buffers.buffers.size(); ++i) {
    if (result.buffers.tensor[i] >= 0) {
      const auto t = static_cast<std::size_t>(result.buffers.tensor[i]);
      result.tensor_offsets[t] = result.plan.offsets[i];
      result.tensor_regions[t] = result.buffer_regions[i];
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

}  // namespace tinyscale::engine
