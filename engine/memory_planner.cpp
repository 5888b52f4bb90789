#include "engine/memory_planner.h"

#include <algorithm>
#include <functional>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

namespace tinyscale::engine {
namespace {

constexpr std::int64_t kUnplaced = -1;
constexpr std::int64_t kNoPeak = std::numeric_limits<std::int64_t>::max();
// Stands for "never dies" when a gap is bounded by the arena's floor or target ceiling.
constexpr int kWallLastUse = std::numeric_limits<int>::max();

// A buffer that occupies bytes. Empty buffers are left out of every placement pass.
struct LiveBuffer {
  std::int64_t size = 0;  // Aligned, > 0.
  int first_use = 0;
  int last_use = 0;
  int index = 0;  // Position in the caller's span.
};

// The live buffers (in caller order, so "lower index" ties match the caller's indices) and
// their conflict graph in compressed rows.
struct Problem {
  std::vector<LiveBuffer> live;
  std::vector<int> by_first_use;     // live indices sorted by (first_use, index).
  std::vector<int> neighbour_begin;  // Conflicts of live[i]: neighbours[begin[i] .. begin[i+1]).
  std::vector<int> neighbours;
  std::int64_t lower_bound = 0;
};

struct ByteRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  int last_use = 0;
};

// Reused by every pass of one plan_memory call so that passes do not allocate.
struct Scratch {
  std::vector<ByteRange> ranges;
  std::vector<std::int64_t> options;
  std::vector<int> level_option_begin;
  std::vector<int> level_next_option;
  std::vector<int> unplaced;
  std::vector<int> position;
  std::vector<std::pair<std::int64_t, std::int64_t>> skyline_heap;
};

std::int64_t occupied_bytes(const PlannerBuffer& buffer, std::int64_t alignment) {
  if (buffer.last_use < buffer.first_use) return 0;
  return align_up(buffer.size, alignment);
}

std::int64_t lifetime(const LiveBuffer& buffer) {
  return std::int64_t(buffer.last_use) - buffer.first_use + 1;
}

std::vector<LiveBuffer> collect_live(std::span<const PlannerBuffer> buffers,
                                     std::int64_t alignment) {
  std::vector<LiveBuffer> live;
  live.reserve(buffers.size());
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const std::int64_t size = occupied_bytes(buffers[i], alignment);
    if (size > 0) live.push_back({size, buffers[i].first_use, buffers[i].last_use, int(i)});
  }
  return live;
}

std::vector<int> sort_by_first_use(std::span<const LiveBuffer> live) {
  std::vector<int> order(live.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (live[a].first_use != live[b].first_use) return live[a].first_use < live[b].first_use;
    return a < b;
  });
  return order;
}

// Sweep in first_use order with a min-heap of live buffers keyed by last_use.
std::int64_t peak_live_bytes(std::span<const LiveBuffer> live, std::span<const int> by_first_use) {
  std::vector<std::pair<int, std::int64_t>> live_now;  // (last_use, size) heap.
  live_now.reserve(live.size());
  const auto dies_later = [](const auto& a, const auto& b) { return a.first > b.first; };
  std::int64_t live_bytes = 0;
  std::int64_t peak = 0;
  for (int i : by_first_use) {
    while (!live_now.empty() && live_now.front().first < live[i].first_use) {
      live_bytes -= live_now.front().second;
      std::pop_heap(live_now.begin(), live_now.end(), dies_later);
      live_now.pop_back();
    }
    live_now.emplace_back(live[i].last_use, live[i].size);
    std::push_heap(live_now.begin(), live_now.end(), dies_later);
    live_bytes += live[i].size;
    peak = std::max(peak, live_bytes);
  }
  return peak;
}

Problem build_problem(std::span<const PlannerBuffer> buffers, std::int64_t alignment) {
  Problem problem;
  problem.live = collect_live(buffers, alignment);
  const auto& live = problem.live;
  const int count = int(live.size());
  problem.by_first_use = sort_by_first_use(live);
  const auto& by_first = problem.by_first_use;

  // In first_use order, the buffers that conflict with by_first[x] and start no earlier are
  // exactly the run after x whose first_use is <= its last_use.
  const auto for_each_conflict = [&](auto&& visit) {
    for (int x = 0; x < count; ++x) {
      const LiveBuffer& a = live[by_first[x]];
      for (int y = x + 1; y < count && live[by_first[y]].first_use <= a.last_use; ++y) {
        visit(by_first[x], by_first[y]);
      }
    }
  };
  problem.neighbour_begin.assign(live.size() + 1, 0);
  for_each_conflict([&](int a, int b) {
    ++problem.neighbour_begin[a + 1];
    ++problem.neighbour_begin[b + 1];
  });
  std::partial_sum(problem.neighbour_begin.begin(), problem.neighbour_begin.end(),
                   problem.neighbour_begin.begin());
  problem.neighbours.resize(problem.neighbour_begin.back());
  std::vector<int> fill(problem.neighbour_begin.begin(), problem.neighbour_begin.end() - 1);
  for_each_conflict([&](int a, int b) {
    problem.neighbours[fill[a]++] = b;
    problem.neighbours[fill[b]++] = a;
  });
  problem.lower_bound = peak_live_bytes(live, by_first);
  return problem;
}

std::span<const int> neighbours_of(const Problem& problem, int i) {
  return std::span<const int>(problem.neighbours)
      .subspan(problem.neighbour_begin[i],
               problem.neighbour_begin[i + 1] - problem.neighbour_begin[i]);
}

// Byte ranges of the already-placed buffers that conflict with live[i], by offset.
void gather_placed_neighbours(const Problem& problem, int i, std::span<const std::int64_t> offsets,
                              std::vector<ByteRange>& ranges) {
  ranges.clear();
  for (int j : neighbours_of(problem, i)) {
    if (offsets[j] == kUnplaced) continue;
    ranges.push_back({offsets[j], offsets[j] + problem.live[j].size, problem.live[j].last_use});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
}

// TFLM's placement: each buffer in `order` at the lowest offset that clears its placed
// conflicts. Returns the peak, or any value >= cutoff once the peak cannot stay below it.
std::int64_t place_first_fit(const Problem& problem, std::span<const int> order,
                             std::int64_t cutoff, Scratch& scratch,
                             std::vector<std::int64_t>& offsets) {
  std::fill(offsets.begin(), offsets.end(), kUnplaced);
  std::int64_t peak = 0;
  for (int i : order) {
    gather_placed_neighbours(problem, i, offsets, scratch.ranges);
    const std::int64_t size = problem.live[i].size;
    std::int64_t candidate = 0;
    for (const ByteRange& range : scratch.ranges) {
      if (range.begin - candidate >= size) break;
      candidate = std::max(candidate, range.end);
    }
    offsets[i] = candidate;
    peak = std::max(peak, candidate + size);
    if (peak >= cutoff) return peak;
  }
  return peak;
}

// Appends where live[i] may go below `target`: the free gaps among its placed conflicts,
// smallest first (best fit), each against the side whose neighbour dies later and then
// against the other side. Keeping the long-lived side closed leaves the gap in one piece when
// the short-lived neighbour dies; on a chain this alternates buffers between floor and ceiling.
void append_options_under_target(const Problem& problem, int i, std::int64_t target,
                                 std::span<const std::int64_t> offsets, Scratch& scratch) {
  constexpr int kMaxGaps = 2;
  struct Gap {
    std::int64_t length, preferred, other;
  };
  Gap gaps[kMaxGaps + 1];
  int gap_count = 0;
  const std::int64_t size = problem.live[i].size;
  const auto consider = [&](std::int64_t begin, std::int64_t end, int lower_last_use,
                            int upper_last_use) {
    if (end - begin < size) return;
    const bool against_upper = upper_last_use > lower_last_use;
    const Gap gap{end - begin, against_upper ? end - size : begin,
                  against_upper ? begin : end - size};
    int slot = std::min(gap_count, kMaxGaps);
    while (slot > 0 && gaps[slot - 1].length > gap.length) {
      gaps[slot] = gaps[slot - 1];
      --slot;
    }
    gaps[slot] = gap;
    gap_count = std::min(gap_count + 1, kMaxGaps);
  };
  gather_placed_neighbours(problem, i, offsets, scratch.ranges);
  std::int64_t floor = 0;
  int floor_last_use = kWallLastUse;
  for (const ByteRange& range : scratch.ranges) {
    if (range.begin >= target) break;
    if (range.begin > floor) consider(floor, range.begin, floor_last_use, range.last_use);
    if (range.end > floor) {
      floor = range.end;
      floor_last_use = range.last_use;
    } else if (range.end == floor) {
      floor_last_use = std::max(floor_last_use, range.last_use);
    }
  }
  if (floor < target) consider(floor, target, floor_last_use, kWallLastUse);
  for (int g = 0; g < gap_count; ++g) {
    scratch.options.push_back(gaps[g].preferred);
    if (gaps[g].other != gaps[g].preferred) scratch.options.push_back(gaps[g].other);
  }
}

// Depth-first search for offsets that keep every buffer below `target`, placing in `order`
// with the choices of append_options_under_target and backtracking on a dead end. Gives up
// after `placement_budget` placements. The first descent is a plain greedy sweep, so the
// budget only pays for repairs.
bool search_under_target(const Problem& problem, std::span<const int> order, std::int64_t target,
                         int placement_budget, Scratch& scratch,
                         std::vector<std::int64_t>& offsets) {
  std::fill(offsets.begin(), offsets.end(), kUnplaced);
  const int depth = int(order.size());
  auto& options = scratch.options;
  auto& option_begin = scratch.level_option_begin;  // Options of level l: [begin[l], begin[l+1]).
  auto& next_option = scratch.level_next_option;
  options.clear();
  option_begin.assign(order.size() + 1, 0);
  next_option.assign(order.size(), 0);
  int level = 0;
  append_options_under_target(problem, order[0], target, offsets, scratch);
  option_begin[1] = int(options.size());
  while (true) {
    if (next_option[level] < option_begin[level + 1]) {
      if (placement_budget-- <= 0) return false;
      offsets[order[level]] = options[next_option[level]++];
      if (++level == depth) return true;
      options.resize(option_begin[level]);
      append_options_under_target(problem, order[level], target, offsets, scratch);
      option_begin[level + 1] = int(options.size());
      next_option[level] = option_begin[level];
    } else {
      offsets[order[level]] = kUnplaced;
      if (level == 0) return false;
      --level;
    }
  }
}

// Sekiyama et al.'s best-fit skyline: fill the lowest stretch of the skyline with the
// longest-lived (then largest) buffer whose lifetime fits inside it; when none fits, raise
// the stretch to its lower neighbour. Returns kNoPeak if it cannot finish.
std::int64_t place_skyline(const Problem& problem, Scratch& scratch,
                           std::vector<std::int64_t>& offsets) {
  struct Stretch {
    std::int64_t begin_step, end_step;  // Steps [begin_step, end_step).
    std::int64_t height;
  };
  const auto& live = problem.live;
  std::fill(offsets.begin(), offsets.end(), kUnplaced);
  auto& unplaced = scratch.unplaced;  // Sorted by first_use.
  unplaced.assign(problem.by_first_use.begin(), problem.by_first_use.end());
  std::int64_t last_step = std::numeric_limits<std::int64_t>::min();
  for (const LiveBuffer& buffer : live) {
    last_step = std::max<std::int64_t>(last_step, buffer.last_use);
  }
  // Stretches tile the steps in order. The heap holds (height, begin_step) of every stretch
  // ever made; an entry is stale when no stretch with that begin and height is left.
  std::vector<Stretch> skyline{{live[unplaced.front()].first_use, last_step + 1, 0}};
  auto& lowest_first = scratch.skyline_heap;
  lowest_first.assign(1, {0, skyline.front().begin_step});
  const auto push = [&](const Stretch& stretch) {
    lowest_first.emplace_back(stretch.height, stretch.begin_step);
    std::push_heap(lowest_first.begin(), lowest_first.end(), std::greater<>());
  };
  std::int64_t peak = 0;
  while (!unplaced.empty()) {
    if (lowest_first.empty()) return kNoPeak;  // Unreachable: some buffer always fits.
    const auto [height, begin_step] = lowest_first.front();
    std::pop_heap(lowest_first.begin(), lowest_first.end(), std::greater<>());
    lowest_first.pop_back();
    const auto found = std::lower_bound(
        skyline.begin(), skyline.end(), begin_step,
        [](const Stretch& stretch, std::int64_t step) { return stretch.begin_step < step; });
    if (found == skyline.end() || found->begin_step != begin_step || found->height != height) {
      continue;
    }
    const std::size_t lowest = std::size_t(found - skyline.begin());
    const Stretch stretch = *found;
    auto it = std::lower_bound(unplaced.begin(), unplaced.end(), stretch.begin_step,
                               [&](int i, std::int64_t step) { return live[i].first_use < step; });
    auto pick = unplaced.end();
    for (; it != unplaced.end() && live[*it].first_use < stretch.end_step; ++it) {
      const LiveBuffer& buffer = live[*it];
      if (std::int64_t(buffer.last_use) + 1 > stretch.end_step) continue;
      if (pick == unplaced.end() || lifetime(buffer) > lifetime(live[*pick]) ||
          (lifetime(buffer) == lifetime(live[*pick]) && buffer.size > live[*pick].size)) {
        pick = it;
      }
    }
    if (pick != unplaced.end()) {
      const LiveBuffer& buffer = live[*pick];
      offsets[*pick] = stretch.height;
      peak = std::max(peak, stretch.height + buffer.size);
      unplaced.erase(pick);
      Stretch pieces[3];
      int piece_count = 0;
      if (buffer.first_use > stretch.begin_step) {
        pieces[piece_count++] = {stretch.begin_step, buffer.first_use, stretch.height};
      }
      pieces[piece_count++] = {buffer.first_use, std::int64_t(buffer.last_use) + 1,
                               stretch.height + buffer.size};
      if (std::int64_t(buffer.last_use) + 1 < stretch.end_step) {
        pieces[piece_count++] = {std::int64_t(buffer.last_use) + 1, stretch.end_step,
                                 stretch.height};
      }
      skyline.erase(skyline.begin() + lowest);
      skyline.insert(skyline.begin() + lowest, pieces, pieces + piece_count);
      for (int p = 0; p < piece_count; ++p) push(pieces[p]);
      continue;
    }
    std::int64_t raised = kNoPeak;
    if (lowest > 0) raised = skyline[lowest - 1].height;
    if (lowest + 1 < skyline.size()) raised = std::min(raised, skyline[lowest + 1].height);
    if (raised == kNoPeak) return kNoPeak;  // Unreachable: some buffer always fits the span.
    std::size_t merged = lowest;
    skyline[merged].height = raised;
    if (merged + 1 < skyline.size() && skyline[merged + 1].height == raised) {
      skyline[merged].end_step = skyline[merged + 1].end_step;
      skyline.erase(skyline.begin() + merged + 1);
    }
    if (merged > 0 && skyline[merged - 1].height == raised) {
      skyline[merged - 1].end_step = skyline[merged].end_step;
      skyline.erase(skyline.begin() + merged);
      --merged;
    }
    push(skyline[merged]);
  }
  return peak;
}

std::vector<int> identity_order(std::size_t count) {
  std::vector<int> order(count);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

// greedy_by_size's order: size descending, then earlier first_use, then lower index.
std::vector<int> order_by_size(std::span<const LiveBuffer> live) {
  std::vector<int> order = identity_order(live.size());
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (live[a].size != live[b].size) return live[a].size > live[b].size;
    if (live[a].first_use != live[b].first_use) return live[a].first_use < live[b].first_use;
    return a < b;
  });
  return order;
}

// Descending `key`, then descending size, then lower index.
std::vector<int> order_by_key(std::span<const LiveBuffer> live, std::span<const std::int64_t> key) {
  std::vector<int> order = identity_order(live.size());
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (key[a] != key[b]) return key[a] > key[b];
    if (live[a].size != live[b].size) return live[a].size > live[b].size;
    return a < b;
  });
  return order;
}

std::vector<int> order_by_breadth(std::span<const LiveBuffer> live) {
  std::vector<std::int64_t> breadth(live.size());
  for (std::size_t i = 0; i < live.size(); ++i) {
    const std::int64_t steps = lifetime(live[i]);
    breadth[i] = live[i].size > kNoPeak / steps ? kNoPeak : live[i].size * steps;
  }
  return order_by_key(live, breadth);
}

std::vector<int> order_by_lifetime(std::span<const LiveBuffer> live) {
  std::vector<std::int64_t> steps(live.size());
  for (std::size_t i = 0; i < live.size(); ++i) steps[i] = lifetime(live[i]);
  return order_by_key(live, steps);
}

// Own size plus the sizes of all conflicting buffers: the crowded ones go first.
std::vector<int> order_by_conflict_bytes(const Problem& problem) {
  std::vector<std::int64_t> crowding(problem.live.size());
  for (std::size_t i = 0; i < problem.live.size(); ++i) {
    crowding[i] = problem.live[i].size;
    for (int j : neighbours_of(problem, int(i))) crowding[i] += problem.live[j].size;
  }
  return order_by_key(problem.live, crowding);
}

// Sweep order for the search: first_use, then longer-lived first, then larger first.
std::vector<int> order_by_first_use(std::span<const LiveBuffer> live) {
  std::vector<int> order = identity_order(live.size());
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (live[a].first_use != live[b].first_use) return live[a].first_use < live[b].first_use;
    if (live[a].last_use != live[b].last_use) return live[a].last_use > live[b].last_use;
    if (live[a].size != live[b].size) return live[a].size > live[b].size;
    return a < b;
  });
  return order;
}

// First fit in offset order never places a buffer above its offset in `offsets` (each one's
// conflicts below it end no higher than before), so replaying any valid placement this way
// can only lower its peak, and it gives the local search an order to work on.
std::vector<int> order_by_offset(std::span<const std::int64_t> offsets) {
  std::vector<int> order = identity_order(offsets.size());
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    if (offsets[a] != offsets[b]) return offsets[a] < offsets[b];
    return a < b;
  });
  return order;
}

// The best first-fit order found so far and its placement.
struct Incumbent {
  std::vector<int> order;
  std::vector<std::int64_t> offsets;
  std::int64_t peak = kNoPeak;
};

int buffers_reaching(const Problem& problem, std::span<const std::int64_t> offsets,
                     std::int64_t peak) {
  int count = 0;
  for (std::size_t i = 0; i < offsets.size(); ++i)
    count += offsets[i] + problem.live[i].size == peak;
  return count;
}

// Moves the first buffer (in order) that reaches the peak in front of one of the buffers it
// conflicts with that were placed before it, or to the front; keeps a move that lowers the
// peak or, at the same peak, the number of buffers reaching it. At most `pass_budget` passes.
void improve_by_moving_peak_buffer(const Problem& problem, int pass_budget, Scratch& scratch,
                                   Incumbent& best) {
  std::vector<std::int64_t> trial_offsets(best.offsets.size());
  std::vector<int> trial_order;
  std::vector<int> targets;
  auto& position = scratch.position;
  position.resize(best.order.size());
  int reaching = buffers_reaching(problem, best.offsets, best.peak);
  while (best.peak > problem.lower_bound && pass_budget > 0) {
    for (std::size_t p = 0; p < best.order.size(); ++p) position[best.order[p]] = int(p);
    int peak_buffer = -1;
    for (int i : best.order) {
      if (best.offsets[i] + problem.live[i].size == best.peak) {
        peak_buffer = i;
        break;
      }
    }
    targets.assign(1, 0);
    for (int j : neighbours_of(problem, peak_buffer)) {
      if (position[j] > 0 && position[j] < position[peak_buffer]) targets.push_back(position[j]);
    }
    std::sort(targets.begin(), targets.end());
    bool improved = false;
    for (int target : targets) {
      if (target == position[peak_buffer]) continue;
      if (pass_budget-- <= 0) break;
      trial_order = best.order;
      trial_order.erase(trial_order.begin() + position[peak_buffer]);
      trial_order.insert(trial_order.begin() + target, peak_buffer);
      const std::int64_t peak =
          place_first_fit(problem, trial_order, best.peak + 1, scratch, trial_offsets);
      if (peak > best.peak) continue;
      const int trial_reaching = buffers_reaching(problem, trial_offsets, peak);
      if (peak < best.peak || trial_reaching < reaching) {
        best.order.swap(trial_order);
        best.offsets.swap(trial_offsets);
        best.peak = peak;
        reaching = trial_reaching;
        improved = true;
        break;
      }
    }
    if (!improved) return;
  }
}

// Budgets found on random chains with skips and residuals (tests/engine): more buys little.
constexpr int kSearchPlacementsPerBuffer = 2;
constexpr int kImprovementPasses = 24;

std::vector<std::int64_t> best_of_offsets(const Problem& problem) {
  const auto& live = problem.live;
  Scratch scratch;
  Incumbent best;
  std::vector<std::int64_t> offsets(live.size());
  const auto try_order = [&](std::vector<int> order) {
    const std::int64_t peak = place_first_fit(problem, order, best.peak, scratch, offsets);
    if (peak < best.peak) {
      best.order = std::move(order);
      best.offsets = offsets;
      best.peak = peak;
    }
    return best.peak == problem.lower_bound;
  };

  if (try_order(order_by_size(live))) return best.offsets;
  if (search_under_target(problem, order_by_first_use(live), problem.lower_bound,
                          kSearchPlacementsPerBuffer * int(live.size()), scratch, offsets)) {
    return offsets;
  }
  if (place_skyline(problem, scratch, offsets) < best.peak && try_order(order_by_offset(offsets))) {
    return best.offsets;
  }
  if (try_order(order_by_breadth(live)) || try_order(order_by_conflict_bytes(problem)) ||
      try_order(order_by_lifetime(live))) {
    return best.offsets;
  }
  improve_by_moving_peak_buffer(problem, kImprovementPasses, scratch, best);
  return best.offsets;
}

std::vector<std::int64_t> greedy_by_size_offsets(const Problem& problem) {
  Scratch scratch;
  std::vector<std::int64_t> offsets(problem.live.size());
  place_first_fit(problem, order_by_size(problem.live), kNoPeak, scratch, offsets);
  return offsets;
}

}  // namespace

std::int64_t align_up(std::int64_t size, std::int64_t alignment) {
  if (size <= 0) return 0;
  if (alignment <= 1) return size;
  return (size + alignment - 1) & ~(alignment - 1);
}

std::int64_t liveness_lower_bound(std::span<const PlannerBuffer> buffers, std::int64_t alignment) {
  const std::vector<LiveBuffer> live = collect_live(buffers, alignment);
  return peak_live_bytes(live, sort_by_first_use(live));
}

MemoryPlan plan_memory(std::span<const PlannerBuffer> buffers, PlannerAlgorithm algorithm,
                       std::int64_t alignment) {
  const Problem problem = build_problem(buffers, alignment);
  MemoryPlan plan;
  plan.algorithm = algorithm;
  plan.lower_bound_bytes = problem.lower_bound;
  plan.offsets.assign(buffers.size(), 0);
  if (problem.live.empty()) return plan;
  const std::vector<std::int64_t> live_offsets = algorithm == PlannerAlgorithm::best_of
                                                     ? best_of_offsets(problem)
                                                     : greedy_by_size_offsets(problem);
  for (std::size_t i = 0; i < problem.live.size(); ++i) {
    const LiveBuffer& buffer = problem.live[i];
    plan.offsets[buffer.index] = live_offsets[i];
    plan.peak_bytes = std::max(plan.peak_bytes, live_offsets[i] + buffer.size);
  }
  return plan;
}

bool plan_is_valid(std::span<const PlannerBuffer> buffers, const MemoryPlan& plan,
                   std::int64_t alignment) {
  if (alignment < 1 || (alignment & (alignment - 1)) != 0) return false;
  if (plan.offsets.size() != buffers.size()) return false;
  std::int64_t peak = 0;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const std::int64_t offset = plan.offsets[i];
    if (offset < 0 || offset % alignment != 0) return false;
    peak = std::max(peak, offset + occupied_bytes(buffers[i], alignment));
  }
  if (peak != plan.peak_bytes) return false;
  // Deliberately the plain quadratic check, sharing no code with the planners it judges.
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const std::int64_t size_i = occupied_bytes(buffers[i], alignment);
    if (size_i == 0) continue;
    for (std::size_t j = i + 1; j < buffers.size(); ++j) {
      const std::int64_t size_j = occupied_bytes(buffers[j], alignment);
      if (size_j == 0) continue;
      const bool lifetimes_overlap = buffers[i].first_use <= buffers[j].last_use &&
                                     buffers[j].first_use <= buffers[i].last_use;
      const bool bytes_overlap =
          plan.offsets[i] < plan.offsets[j] + size_j && plan.offsets[j] < plan.offsets[i] + size_i;
      if (lifetimes_overlap && bytes_overlap) return false;
    }
  }
  return true;
}

const char* planner_algorithm_name(PlannerAlgorithm algorithm) {
  switch (algorithm) {
    case PlannerAlgorithm::greedy_by_size:
      return "greedy_by_size";
    case PlannerAlgorithm::best_of:
      return "best_of";
  }
  return "unknown";
}

}  // namespace tinyscale::engine
