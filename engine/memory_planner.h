// Arena memory planner: given every buffer's size and the span of steps during which it
// is live, choose a byte offset for each inside one arena so that buffers live at the same
// time never share bytes, and the arena (the peak) is as small as possible.
//
// This is the classic dynamic storage allocation problem on an interval graph. It is
// NP-hard in general, but it has a cheap lower bound that good heuristics usually reach on
// neural-network graphs:
//
//   liveness_lower_bound: walk the steps and sum the (aligned) sizes of the buffers live at
//   each one; the largest such sum must fit in any arena, whatever the offsets.
//
// Two planners are offered:
//
//   greedy_by_size  TFLite Micro's GreedyMemoryPlanner. Sort the buffers by size,
//                   largest first (ties: earlier first_use, then lower index), and give
//                   each the lowest offset where it does not overlap any already-placed
//                   buffer whose lifetime intersects its own. The gap scan walks those
//                   conflicting buffers in offset order and takes the first gap large
//                   enough ("first fit"). Predictable and fast, but on chains it leaves
//                   holes: a small buffer placed at 0 forces its large neighbour on top.
//
//   best_of         Tries several placements and keeps the smallest peak, stopping as
//                   soon as one reaches the lower bound. In order:
//                   1. greedy_by_size itself, so best_of is never worse than it;
//                   2. a search under the lower bound: buffers in first_use order, each
//                      put in the smallest free gap below the target arena size, against
//                      the side of the gap whose neighbour stays live longer (so chains
//                      ping-pong between the bottom and the top of the arena), with a
//                      bounded depth-first backtrack over those choices when a buffer
//                      does not fit;
//                   3. a skyline placement (Sekiyama et al., "Profile-guided memory
//                      optimization for deep neural networks", 2018): repeatedly take the
//                      lowest point of the skyline over time and fill it with the
//                      longest-lived buffer whose lifetime fits there;
//                   4. first fit under other orderings: size x lifetime ("breadth"),
//                      bytes of conflicting buffers, and lifetime, largest first;
//                   5. a small local search on the best order: move the buffer that
//                      defines the peak earlier, in front of the buffers it was stacked
//                      on, while that lowers the peak or the number of buffers reaching it.
//                   Placements from steps 2 and 3 are replayed as first fit in offset
//                   order, which can only lower their peak. Everything is deterministic.
//
// Sizes are rounded up to `alignment` (a power of two >= 1) before placement and in the
// lower bound, so offsets stay aligned. A buffer of size 0, or whose last_use is before its
// first_use, occupies no bytes: it gets offset 0 and conflicts with nothing.
//
// Cost: each placement pass is O(E log d) over the conflict graph (E conflicting pairs,
// d the largest number of conflicts of one buffer); best_of runs a bounded number of them.
// The cost model calls best_of thousands of times, so it stays in the tens of microseconds
// for graphs of a few hundred buffers (bench/planner_bench.cpp).
//
// No exceptions, no RTTI, no I/O: this file builds for Cortex-M.
//
// Usage:
//   std::vector<PlannerBuffer> buffers = {{.size = 3072, .first_use = 0, .last_use = 1},
//                                         {.size = 1024, .first_use = 1, .last_use = 2},
//                                         {.size = 3072, .first_use = 2, .last_use = 3}};
//   MemoryPlan plan = plan_memory(buffers, PlannerAlgorithm::best_of);
//   // plan.offsets == {0, 3072, 0}, plan.peak_bytes == 4096 == plan.lower_bound_bytes
//   std::byte* tensor_data = arena + plan.offsets[tensor_buffer_index];
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tinyscale::engine {

// One buffer to place: `size` bytes, live from step `first_use` to step `last_use`
// inclusive. Two buffers conflict when their [first_use, last_use] intervals intersect.
struct PlannerBuffer {
  std::int64_t size = 0;
  int first_use = 0;
  int last_use = 0;
};

enum class PlannerAlgorithm {
  greedy_by_size,  // TFLM's GreedyMemoryPlanner: largest first, lowest offset that fits.
  best_of,         // Best of several placements; never worse than greedy_by_size.
};

struct MemoryPlan {
  std::vector<std::int64_t> offsets;   // One per buffer, multiples of alignment.
  std::int64_t peak_bytes = 0;         // Max of offset + occupied bytes (0 for no buffers).
  std::int64_t lower_bound_bytes = 0;  // liveness_lower_bound of the same buffers.
  PlannerAlgorithm algorithm = PlannerAlgorithm::greedy_by_size;
};

// `size` rounded up to a multiple of `alignment` (a power of two); negative sizes give 0.
std::int64_t align_up(std::int64_t size, std::int64_t alignment);

// Largest sum of aligned sizes of buffers simultaneously live at one step: no placement
// can beat it.
std::int64_t liveness_lower_bound(std::span<const PlannerBuffer> buffers, std::int64_t alignment);

MemoryPlan plan_memory(std::span<const PlannerBuffer> buffers, PlannerAlgorithm algorithm,
                       std::int64_t alignment = 16);

// True when there is one offset per buffer, every offset is aligned and non-negative, no
// two conflicting buffers' byte ranges [offset, offset + aligned size) overlap, and
// peak_bytes is the max of offset + occupied bytes.
bool plan_is_valid(std::span<const PlannerBuffer> buffers, const MemoryPlan& plan,
                   std::int64_t alignment);

// "greedy_by_size" or "best_of".
const char* planner_algorithm_name(PlannerAlgorithm algorithm);

}  // namespace tinyscale::engine
