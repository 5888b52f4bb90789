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
//                   enough ("first fit"). Predictable, but on chains it leaves holes: in
//                   a chain 2K -> 1K -> 1K -> 2K both 2K ends go to offset 0, and the 1K
//                   pair between them stacks on top (4K for a 3K bound).
//
//   best_of         Tries the placements below in turn, keeps the smallest peak and stops
//                   as soon as one reaches the lower bound:
//                   1. A search under the bound: buffers in first_use order, each put in
//                      the smallest free gap below the target arena size, against the side
//                      of the gap whose neighbour stays live longer (so a chain alternates
//                      between the floor and the ceiling of the arena), backtracking
//                      depth-first over those choices, within a budget, when one does not
//                      fit. Success means peak == bound, so nothing can beat it.
//                   2. greedy_by_size, so best_of is never worse than it.
//                   3. The search again, placing first the buffers live for more than a
//                      sixteenth of the steps (skips), longest first.
//                   4. First fit, ordered by the buffer's size plus the sizes of all the
//                      buffers it conflicts with, largest first.
//                   5. The best-fit skyline of Sekiyama et al. ("Profile-guided memory
//                      optimization for deep neural networks", 2018): fill the lowest
//                      stretch of the skyline over time with the longest-lived buffer that
//                      fits in it, else raise that stretch to its lower neighbour. It is
//                      then replayed as first fit in offset order, which can only help.
//                   6. A local search on the best first-fit order: move the buffer that
//                      sets the peak in front of a buffer it was stacked on, while that
//                      lowers the peak or the number of buffers reaching it.
//                   Everything is deterministic. On random chains with residuals and skips
//                   best_of reaches the bound ~96% of the time against ~25% for
//                   greedy_by_size, and on MobileNet-like networks always
//                   (tests/engine/memory_planner_test.cpp).
//
// Sizes are rounded up to `alignment` (normally a power of two; values below 1 count as 1)
// before placement and in the lower bound, so offsets stay aligned. A buffer of size 0, or
// whose last_use is before its first_use, occupies no bytes: it gets offset 0 and conflicts
// with nothing. Steps may be any ints, in any order.
//
// Cost: one first-fit pass is O(E log d) over the conflict graph (E conflicting pairs, d
// the most conflicts of one buffer); best_of's budgets cap it at about 20 passes. The cost
// model calls best_of thousands of times: on MobileNet-like graphs it takes about as long
// as greedy_by_size, since the first search usually succeeds (tens of microseconds for 150
// buffers); on random chains it runs more stages, about 4x greedy_by_size at 150 buffers
// (bench/planner_bench.cpp).
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

// `size` rounded up to a multiple of `alignment`; sizes <= 0 give 0.
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
