// Arena planning for a graph: turns every activation tensor (and every scratch buffer an op
// declares) into a planner buffer with its lifetime, runs the memory planner, and reports
// per-tensor offsets, the peak and the bytes live at each step.
//
// Lifetimes are in node steps: a tensor produced by node p and last read by node c lives
// over [p, c]; graph inputs are live from step 0, graph outputs until the last node. Inputs
// and outputs of a node are live together (no in-place execution). Constants are not in the
// arena (they live in FLASH). This is the one place the cost model and engine::compile get
// their RAM figure from, so the RAM `solve` promises is the arena `run` allocates.
//
// Usage:
//   engine::ArenaPlan p = engine::plan_arena(deployed_graph, {.int8_activations = true});
//   p.plan.peak_bytes;  p.tensor_offsets[t];  p.live_bytes_at_step[n];
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/graph.h"
#include "engine/memory_planner.h"

namespace tinyscale::engine {

// TFLite Micro's buffer alignment; every arena offset is a multiple of it.
inline constexpr std::int64_t kArenaAlignment = 16;

struct ArenaOptions {
  // Size activations as int8 (1 byte per element) whatever the graph's dtype: the figure for
  // an int8 deployment of a float graph.
  bool int8_activations = true;
  PlannerAlgorithm algorithm = PlannerAlgorithm::best_of;
  std::int64_t alignment = kArenaAlignment;
  // Scratch bytes per node as the kernels' prepare() asked for them; empty: the op table's
  // scratch_bytes estimate (what the cost model uses before any kernel is prepared).
  std::span<const std::int64_t> node_scratch_bytes;
};

struct ArenaBuffers {
  std::vector<PlannerBuffer> buffers;
  std::vector<int> tensor;  // tensor id of each buffer, or -1 for a scratch buffer
  std::vector<int> node;    // node owning each scratch buffer, or -1 for a tensor
};

ArenaBuffers collect_arena_buffers(const core::Graph& graph, const ArenaOptions& options);

struct ArenaPlan {
  MemoryPlan plan;
  ArenaBuffers buffers;
  std::vector<std::int64_t> tensor_offsets;      // per tensor id; -1 when not in the arena
  std::vector<std::int64_t> live_bytes_at_step;  // per node: aligned bytes live while it runs
};

ArenaPlan plan_arena(const core::Graph& graph, const ArenaOptions& options = {});

}  // namespace tinyscale::engine
