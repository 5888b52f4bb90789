#include "engine/region_planner.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

namespace tinyscale::engine {
namespace {

std::int64_t occupied_bytes(const PlannerBuffer& buffer, std::int64_t alignment) {
  if (buffer.last_use < buffer.first_use) return 0;
  return align_up(buffer.size, alignment);
}

// The placement under way: which region holds each buffer, the live bytes of every region
// at every step where some buffer starts (the only steps where a maximum can occur), and
// each region's current plan.
class Placement {
 public:
  Placement(std::span<const PlannerBuffer> buffers, std::span<const std::int64_t> capacities,
            PlannerAlgorithm algorithm, std::int64_t alignment)
      : buffers_(buffers), algorithm_(algorithm), alignment_(alignment) {
    const std::size_t n = buffers.size();
    const std::size_t r = capacities.size();
    capacity_.resize(r);
    for (std::size_t i = 0; i < r; ++i) capacity_[i] = std::max<std::int64_t>(capacities[i], 0);
    order_.resize(r);
    std::iota(order_.begin(), order_.end(), 0);
    std::stable_sort(order_.begin(), order_.end(),
                     [&](int a, int b) { return capacity_[a] > capacity_[b]; });
    home_ = order_.front();

    size_.resize(n);
    for (std::size_t b = 0; b < n; ++b) {
      size_[b] = occupied_bytes(buffers[b], alignment);
      if (size_[b] > 0) points_.push_back(buffers[b].first_use);
    }
    std::sort(points_.begin(), points_.end());
    points_.erase(std::unique(points_.begin(), points_.end()), points_.end());
    first_point_.assign(n, 0);
    last_point_.assign(n, -1);
    for (std::size_t b = 0; b < n; ++b) {
      if (size_[b] == 0) continue;
      first_point_[b] = static_cast<int>(
          std::lower_bound(points_.begin(), points_.end(), buffers[b].first_use) - points_.begin());
      last_point_[b] = static_cast<int>(
          std::upper_bound(points_.begin(), points_.end(), buffers[b].last_use) - points_.begin() -
          1);
    }
    live_.assign(r * points_.size(), 0);
    region_.assign(n, home_);
    left_.assign(n * r, 0);
    for (std::size_t b = 0; b < n; ++b) add_live(static_cast<int>(b), home_, size_[b]);
    offsets_.assign(n, 0);
    peak_.assign(r, 0);
  }

  // Steps 2 and 3 of the header; true when every region fits.
  bool run() {
    while (true) {
      int region = -1;
      int hot = 0;
      for (const int r : order_) {
        const int p = hottest_point(r);
        if (p >= 0 && live(r, p) > capacity_[r]) {
          region = r;
          hot = p;
          break;
        }
      }
      if (region < 0) break;
      if (!relieve_step(region, hot)) return plan_all_and_check();
    }
    for (const int r : order_) plan_region(r);
    while (true) {
      int region = -1;
      for (const int r : order_) {
        if (peak_[r] > capacity_[r]) {
          region = r;
          break;
        }
      }
      if (region < 0) return true;
      const int moved_to = relieve_fragmentation(region);
      if (moved_to < 0) return false;
      plan_region(region);
      plan_region(moved_to);
    }
  }

  void write(RegionPlan* plan) const {
    plan->regions = region_;
    plan->offsets = offsets_;
    plan->peak_bytes = peak_;
    plan->home_region = home_;
    plan->moves = moves_;
  }

 private:
  std::int64_t& live(int region, int point) {
    return live_[static_cast<std::size_t>(region) * points_.size() +
                 static_cast<std::size_t>(point)];
  }

  void add_live(int b, int region, std::int64_t bytes) {
    for (int p = first_point_[b]; p <= last_point_[b]; ++p) live(region, p) += bytes;
  }

  // The point of `region` with the most live bytes (the first on ties), -1 without points.
  int hottest_point(int region) {
    int best = -1;
    for (int p = 0; p < static_cast<int>(points_.size()); ++p) {
      if (best < 0 || live(region, p) > live(region, best)) best = p;
    }
    return best;
  }

  std::int64_t max_live_over(int region, int b) {
    std::int64_t m = 0;
    for (int p = first_point_[b]; p <= last_point_[b]; ++p) m = std::max(m, live(region, p));
    return m;
  }

  bool conflicts(int a, int b) const {
    return buffers_[a].first_use <= buffers_[b].last_use &&
           buffers_[b].first_use <= buffers_[a].last_use;
  }

  // The region where buffer b fits most tightly by liveness (ties: larger region first), or
  // -1. A region it has left is never a destination.
  int destination(int b) {
    const std::size_t regions = capacity_.size();
    int best = -1;
    std::int64_t best_room = 0;
    for (const int d : order_) {
      if (d == region_[b] || left_[static_cast<std::size_t>(b) * regions + d]) continue;
      const std::int64_t room = capacity_[d] - max_live_over(d, b) - size_[b];
      if (room < 0) continue;
      if (best < 0 || room < best_room) {
        best = d;
        best_room = room;
      }
    }
    return best;
  }

  void move(int b, int to) {
    const int from = region_[b];
    add_live(b, from, -size_[b]);
    add_live(b, to, size_[b]);
    left_[static_cast<std::size_t>(b) * capacity_.size() + from] = 1;
    region_[b] = to;
    offsets_[b] = 0;
    ++moves_;
  }

  // Moves one buffer live at `hot` out of `region`; false when none can go anywhere.
  bool relieve_step(int region, int hot) {
    const std::int64_t excess = live(region, hot) - capacity_[region];
    int pick = -1, pick_to = -1;
    bool pick_covers = false;
    for (int b = 0; b < static_cast<int>(size_.size()); ++b) {
      if (region_[b] != region || size_[b] == 0 || first_point_[b] > hot || last_point_[b] < hot)
        continue;
      const int to = destination(b);
      if (to < 0) continue;
      const bool covers = size_[b] >= excess;
      const bool better = pick < 0 || (covers && !pick_covers) ||
                          (covers && pick_covers && size_[b] < size_[pick]) ||
                          (!covers && !pick_covers && size_[b] > size_[pick]);
      if (better) {
        pick = b;
        pick_to = to;
        pick_covers = covers;
      }
    }
    if (pick < 0) return false;
    move(pick, pick_to);
    return true;
  }

  // Moves one buffer out of `region` whose plan peaks above its capacity: one that ends above
  // the capacity (highest first), else one live at the same time as those (largest first).
  // Returns the destination, or -1 when no such buffer can go anywhere.
  int relieve_fragmentation(int region) {
    std::vector<int> sticking, others;
    for (int b = 0; b < static_cast<int>(size_.size()); ++b) {
      if (region_[b] != region || size_[b] == 0) continue;
      (offsets_[b] + size_[b] > capacity_[region] ? sticking : others).push_back(b);
    }
    std::stable_sort(sticking.begin(), sticking.end(), [&](int a, int b) {
      return offsets_[a] + size_[a] > offsets_[b] + size_[b];
    });
    std::erase_if(others, [&](int b) {
      return std::none_of(sticking.begin(), sticking.end(), [&](int s) { return conflicts(b, s); });
    });
    std::stable_sort(others.begin(), others.end(),
                     [&](int a, int b) { return size_[a] > size_[b]; });
    for (const std::vector<int>* list : {&sticking, &others}) {
      for (const int b : *list) {
        const int to = destination(b);
        if (to < 0) continue;
        move(b, to);
        return to;
      }
    }
    return -1;
  }

  void plan_region(int region) {
    std::vector<PlannerBuffer> members;
    std::vector<int> index;
    for (int b = 0; b < static_cast<int>(region_.size()); ++b) {
      if (region_[b] != region) continue;
      members.push_back(buffers_[b]);
      index.push_back(b);
    }
    const MemoryPlan plan = plan_memory(members, algorithm_, alignment_);
    for (std::size_t i = 0; i < index.size(); ++i) offsets_[index[i]] = plan.offsets[i];
    peak_[region] = plan.peak_bytes;
  }

  bool plan_all_and_check() {
    bool fits = true;
    for (const int r : order_) {
      plan_region(r);
      fits = fits && peak_[r] <= capacity_[r];
    }
    return fits;
  }

  std::span<const PlannerBuffer> buffers_;
  PlannerAlgorithm algorithm_;
  std::int64_t alignment_;
  std::vector<std::int64_t> capacity_;
  std::vector<int> order_;  // regions, largest capacity first
  int home_ = 0;
  std::vector<std::int64_t> size_;  // aligned occupied bytes per buffer
  std::vector<int> points_;         // distinct first_use steps of non-empty buffers
  std::vector<int> first_point_, last_point_;  // per buffer: its points' index range
  std::vector<std::int64_t> live_;             // region × point
  std::vector<int> region_;
  std::vector<char> left_;  // buffer × region: the buffer has left that region
  std::vector<std::int64_t> offsets_;
  std::vector<std::int64_t> peak_;
  int moves_ = 0;
};

}  // namespace

std::int64_t RegionPlan::total_peak_bytes() const {
  std::int64_t total = 0;
  for (const std::int64_t p : peak_bytes) total += p;
  return total;
}

RegionPlan plan_memory_regions(std::span<const PlannerBuffer> buffers,
                               std::span<const std::int64_t> capacities,
                               PlannerAlgorithm algorithm, std::int64_t alignment) {
  RegionPlan result;
  result.lower_bound_bytes = liveness_lower_bound(buffers, alignment);
  if (capacities.empty()) {
    const MemoryPlan plan = plan_memory(buffers, algorithm, alignment);
    result.fits = true;
    result.regions.assign(buffers.size(), 0);
    result.offsets = plan.offsets;
    result.peak_bytes = {plan.peak_bytes};
    return result;
  }
  Placement placement(buffers, capacities, algorithm, alignment);
  result.fits = placement.run();
  placement.write(&result);
  return result;
}

bool region_plan_is_valid(std::span<const PlannerBuffer> buffers,
                          std::span<const std::int64_t> capacities, const RegionPlan& plan,
                          std::int64_t alignment) {
  const std::size_t regions = std::max<std::size_t>(capacities.size(), 1);
  if (plan.regions.size() != buffers.size() || plan.offsets.size() != buffers.size() ||
      plan.peak_bytes.size() != regions) {
    return false;
  }
  for (std::size_t r = 0; r < regions; ++r) {
    std::vector<PlannerBuffer> members;
    MemoryPlan sub;
    sub.peak_bytes = plan.peak_bytes[r];
    for (std::size_t b = 0; b < buffers.size(); ++b) {
      if (plan.regions[b] < 0 || static_cast<std::size_t>(plan.regions[b]) >= regions) return false;
      if (static_cast<std::size_t>(plan.regions[b]) != r) continue;
      members.push_back(buffers[b]);
      sub.offsets.push_back(plan.offsets[b]);
    }
    if (!plan_is_valid(members, sub, alignment)) return false;
    if (plan.fits && !capacities.empty() &&
        plan.peak_bytes[r] > std::max<std::int64_t>(capacities[r], 0)) {
      return false;
    }
  }
  return true;
}

}  // namespace tinyscale::engine
