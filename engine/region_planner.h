// Multi-region placement: when a board's RAM is several separate regions (an STM32H743 has
// DTCM, AXI SRAM, the D2 SRAM1-3 and the D3 SRAM4 at unrelated addresses), split the arena's
// buffers over them so that every buffer lies wholly inside one region and, in every
// region, the buffers placed there (laid out by plan_memory) peak within its capacity.
// A buffer never straddles two regions: each region is planned as its own arena, offsets
// are relative to the region's base.
//
// Algorithm (deterministic; the regions are taken in order of capacity, largest first,
// then by index):
//   1. Every buffer starts in the home region, the largest. When everything fits there the
//      result is exactly plan_memory's single arena, so splitting never costs anything.
//   2. Liveness phase. While the home region's liveness lower bound exceeds its capacity,
//      take the step where its live bytes are highest and move one buffer live there to
//      another region whose own live bytes over the buffer's lifetime leave room for it:
//      the smallest buffer that alone removes the excess at that step, else the largest
//      one that fits somewhere. Its destination is the region where it fits most tightly
//      (best fit), keeping the roomy regions for large buffers.
//   3. Placement phase. Plan every region with plan_memory. While some region's peak
//      exceeds its capacity (fragmentation above the bound), move one of its buffers that
//      end above the capacity (highest first), or else one live at the same time as them
//      (largest first), to a region with liveness room, and re-plan the two regions.
//   A buffer never returns to a region it left, so at most N × (R - 1) moves happen. When
//   no move is possible the plan is returned with fits == false and the peaks as they stand.
//
// Capacities below zero count as zero (a region the caller has already filled). Empty
// buffers (size 0, or last_use < first_use) stay in the home region at offset 0.
//
// No exceptions, no RTTI, no I/O: this file builds for Cortex-M.
//
// Usage:
//   const std::int64_t capacities[] = {128 * 1024, 448 * 1024, 288 * 1024, 64 * 1024};
//   RegionPlan p = plan_memory_regions(buffers, capacities, PlannerAlgorithm::best_of);
//   if (p.fits) data = region_base[p.regions[i]] + p.offsets[i];
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/memory_planner.h"

namespace tinyscale::engine {

struct RegionPlan {
  bool fits = false;                      // every region's peak is within its capacity
  std::vector<int> regions;               // per buffer: index into the capacities
  std::vector<std::int64_t> offsets;      // per buffer: offset inside its region, aligned
  std::vector<std::int64_t> peak_bytes;   // per region: its arena (0 for an unused region)
  std::int64_t lower_bound_bytes = 0;     // liveness_lower_bound of all the buffers together
  int home_region = 0;                    // the largest region, where buffers start
  int moves = 0;                          // buffers moved out of the region they were in
  std::int64_t total_peak_bytes() const;  // the sum of the regions' peaks
};

// An empty `capacities` is one region of unbounded size (a single arena).
RegionPlan plan_memory_regions(std::span<const PlannerBuffer> buffers,
                               std::span<const std::int64_t> capacities,
                               PlannerAlgorithm algorithm, std::int64_t alignment = 16);

// True when every buffer has a region index in range and an aligned offset, each region's
// buffers form a valid plan (plan_is_valid) whose peak is peak_bytes[region], and, when
// plan.fits, every peak is within its capacity (so no buffer crosses a region's end).
bool region_plan_is_valid(std::span<const PlannerBuffer> buffers,
                          std::span<const std::int64_t> capacities, const RegionPlan& plan,
                          std::int64_t alignment);

}  // namespace tinyscale::engine
