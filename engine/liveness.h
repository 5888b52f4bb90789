// Arena planning for a graph: turns every activation tensor (and every scratch buffer an op
// declares) into a planner buffer with its lifetime, runs the memory planner, and reports
// per-tensor offsets, the peak and the bytes live at each step.
//
// Lifetimes are in node steps: a tensor produced by node p and last read by node c lives
// over [p, c]; graph inputs are live from step 0, graph outputs until the last node.
// Constants are not in the arena (they live in FLASH). This is the one place the cost model,
// engine::compile and the generated device code (through compile) get their arena from, so
// the RAM `solve` promises is the arena `run` and the firmware allocate.
//
// In-place execution (ArenaOptions::in_place, on by default): the inputs and outputs of a
// node are otherwise live together, but an element-wise op writes over an input that dies at
// it. The planner then gives its output that input's buffer: one PlannerBuffer for both
// tensors, over the union of their lifetimes, so the region planner, live_bytes_at_step and
// every offset see one buffer. A node runs in place when
//   - its op is one whose kernels (host engine/kernels/<op>.cpp, float and int8, and device
//     engine/kernels/device/<op>.cpp) compute each output element from the same-index
//     element of that input only, reading it before writing it: relu, clip (ReLU6),
//     hard_swish, sigmoid, tanh, leaky_relu, quantize (int8 -> int8 requantization; float ->
//     int8 changes the size), dequantize (never in practice: int8 -> float), reshape
//     (a byte copy that skips itself when aliased), and add / mul over the input that has the
//     output's shape (the other operand may broadcast, e.g. a squeeze-excite vector: it is
//     a separate buffer, read at any position), and paste over its destination (input 0,
//     of the output's shape: the kernel writes the block into it and skips the copy when
//     aliased; the block, input 1, is never overwritten, and a paste without a destination
//     never runs in place), so patch-based execution's chain of pastes (engine/patch.h)
//     assembles a layer's output in one buffer;
//   - or it is an int8 depthwise conv2d (groups == input channels == output channels, weight
//     [C, kh, kw, 1]) whose output has its input's shape (stride 1 and same padding): the
//     kernels (host int8 engine/kernels/conv2d.cpp through device::conv2d_s8) see
//     output == input and compute channel by channel from a copy of the input channel in a
//     scratch buffer of H × W bytes (TinyEngine's in-place depthwise), which the plan adds as
//     the node's scratch (the larger of it and what the kernel asked for:
//     in_place_scratch_bytes). A float graph planned with int8_activations (the cost model's
//     figure for an int8 deployment) qualifies alike; the float kernel has no in-place path,
//     so a float graph at real sizes does not;
//   - it has one output, and the input has the output's dtype and element count (the same
//     bytes at real dtype sizes, whatever int8_activations says, so the cost model's float
//     graph and the engine's int8 graph choose alike);
//   - the input is not a graph input (the caller's data stays intact through the run) nor a
//     graph output, and no later node reads it. A graph output may be written over a dying
//     intermediate.
// Ops that read other positions (pooling, other convolutions, softmax, concat, resize, pad, ...)
// never run in place. Chains merge: conv -> hard_swish -> add all in one buffer when each input
// dies where it is overwritten. ArenaOptions::no_reuse gives every tensor and scratch buffer its
// own bytes for the whole run (the reference plan the tests compare in-place plans with).
//
// Memory regions: given region capacities (a board's RAM regions, each after the
// application's reserve), the buffers are split over them by plan_memory_regions
// (engine/region_planner.h), each buffer wholly inside one region, and the plan says whether
// every region holds its share. The model's fixed RAM (kernel state, runtime structures,
// `home_region_fixed_bytes`) lives in the largest region, whose room for buffers is that
// much smaller. One capacity is the single-arena case with a size limit: the same plan as
// without capacities, plus the check. The cost model, `solve` and `run` all call this, so
// their per-region figures agree.
//
// Usage:
//   engine::ArenaPlan p = engine::plan_arena(deployed_graph, {.int8_activations = true});
//   p.plan.peak_bytes;  p.tensor_offsets[t];  p.live_bytes_at_step[n];
//   p.buffers.in_place_input[n];  // the input tensor node n writes over, or -1
//
//   const std::int64_t regions[] = {448 * 1024, 288 * 1024, 128 * 1024, 64 * 1024};
//   engine::ArenaPlan q = engine::plan_arena(g, {.region_capacities = regions,
//                                                .home_region_fixed_bytes = 9000});
//   q.fits;  q.region_peak_bytes[r];  q.tensor_regions[t];  q.tensor_offsets[t];
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/graph.h"
#include "engine/memory_planner.h"
#include "engine/region_planner.h"

namespace tinyscale::engine {

// TFLite Micro's buffer alignment; every arena offset is a multiple of it.
inline constexpr std::int64_t kArenaAlignment = 16;

// A multiply run inside a later pointwise convolution that reads its output
// (engine/mul_fusion.h): the convolution computes the products itself, so the operand the
// multiply does not run in place over (the squeeze-excite gate, the attention map) must live
// until the convolution.
struct FusedMultiply {
  int mul = -1, conv = -1;
};

struct ArenaOptions {
  // Size activations as int8 (1 byte per element) whatever the graph's dtype: the figure for
  // an int8 deployment of a float graph.
  bool int8_activations = true;
  PlannerAlgorithm algorithm = PlannerAlgorithm::best_of;
  std::int64_t alignment = kArenaAlignment;
  // Scratch bytes per node as the kernels' prepare() asked for them; empty: the op table's
  // scratch_bytes estimate (what the cost model uses before any kernel is prepared).
  std::span<const std::int64_t> node_scratch_bytes;
  // Capacities of the memory regions to split the buffers over; empty: one arena, no limit.
  std::span<const std::int64_t> region_capacities;
  // Bytes the largest region holds besides the buffers (kernel state, runtime structures).
  std::int64_t home_region_fixed_bytes = 0;
  // Element-wise ops write over an input that dies at them (see the top of this file).
  bool in_place = true;
  // Every buffer live over the whole run, so no two share a byte (no in-place either): a
  // reference plan for tests, not for deployment.
  bool no_reuse = false;
  // Nodes that must not run in place (plan_arena_for_deployment's choice).
  std::span<const int> not_in_place;
  // Scratch bytes per node that a faster kernel path would use if given them (what prepare
  // reports in NodeContext::optional_scratch_bytes: a fully connected layer's int16 copy of
  // its input); empty: none. plan_arena_for_deployment adds each only where the peak stays.
  std::span<const std::int64_t> node_optional_scratch_bytes;
  // Multiplies fused into a later convolution: each one that runs in place over an operand
  // keeps its other operand live until the convolution (a pair whose multiply does not run
  // in place is ignored: the convolution reads the products from that operand's bytes).
  // plan_arena_for_deployment takes each only where the peak stays.
  std::span<const FusedMultiply> fused_multiplies;
};

// True when `op`'s kernels may write its output over an input of the output's shape (the
// element-wise ops and paste listed at the top of this file).
bool op_runs_in_place(core::OpType op);

// True when `node` is a depthwise conv2d that may write its output over its input (see the
// top of this file); int8_activations as in ArenaOptions.
bool depthwise_runs_in_place(const core::Graph& graph, const core::Node& node,
                             bool int8_activations);

// Scratch bytes `node` needs when it runs in place besides what its kernel asks for: H × W for
// a depthwise conv2d (one channel plane of its input), 0 for the element-wise ops.
std::int64_t in_place_scratch_bytes(const core::Graph& graph, const core::Node& node);

struct ArenaBuffers {
  std::vector<PlannerBuffer> buffers;
  // Tensor id of each buffer (with in-place, the first of the tensors sharing it), or -1 for
  // a scratch buffer.
  std::vector<int> tensor;
  std::vector<int> node;            // node owning each scratch buffer, or -1 for a tensor
  std::vector<int> tensor_buffer;   // per tensor id: its buffer, or -1 when not in the arena
  std::vector<int> in_place_input;  // per node: the input tensor its output overwrites, or -1
  // Per node: for a multiply of ArenaOptions::fused_multiplies that runs in place, the
  // convolution it is fused into; else -1.
  std::vector<int> fused_multiply_into;
};

ArenaBuffers collect_arena_buffers(const core::Graph& graph, const ArenaOptions& options);

struct ArenaPlan {
  // offsets: each buffer's offset inside its region; peak_bytes: the sum of the regions'
  // peaks (the whole activation RAM); lower_bound_bytes: of all the buffers together.
  MemoryPlan plan;
  ArenaBuffers buffers;
  std::vector<std::int64_t> tensor_offsets;      // per tensor id; -1 when not in the arena
  std::vector<std::int64_t> live_bytes_at_step;  // per node: aligned bytes live while it runs
  // Regions (without region_capacities: one region, index 0, holding everything).
  std::vector<int> buffer_regions;              // per buffer
  std::vector<int> tensor_regions;              // per tensor id; -1 when not in the arena
  std::vector<std::int64_t> region_peak_bytes;  // per region: its buffers' peak
  int fixed_region = 0;  // the region holding home_region_fixed_bytes (the largest)
  // Every region's peak, plus the fixed bytes in fixed_region, is within its capacity.
  bool fits = true;
  // Bytes used in region r: its peak, plus the fixed bytes in fixed_region.
  std::int64_t region_used_bytes(int r, std::int64_t fixed_bytes) const {
    return region_peak_bytes[static_cast<std::size_t>(r)] + (r == fixed_region ? fixed_bytes : 0);
  }
};

ArenaPlan plan_arena(const core::Graph& graph, const ArenaOptions& options = {});

// Deployment's plan (engine::CompiledModel::compile): plan_arena's, except that a depthwise
// convolution runs out of place wherever that leaves the peak (and the regions' fit) exactly
// as it is, so the fast depthwise kernel (device/depthwise_fast.h, which has no in-place
// path) applies without costing a byte: in-place depthwise only where it lowers the peak.
// Then each node's optional scratch (ArenaOptions::node_optional_scratch_bytes, with
// node_scratch_bytes given) joins its scratch under the same condition. Greedy, in node
// order; the cost model's figure (plan_arena's peak) stays exact.
ArenaPlan plan_arena_for_deployment(const core::Graph& graph, const ArenaOptions& options);

}  // namespace tinyscale::engine
