#include "engine/memory_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "tests/engine/planner_cases.h"

namespace tinyscale::engine {
namespace {

constexpr PlannerAlgorithm kAlgorithms[] = {PlannerAlgorithm::greedy_by_size,
                                            PlannerAlgorithm::best_of};

// Sums the live bytes step by step: the slow reference for liveness_lower_bound.
std::int64_t brute_force_lower_bound(const std::vector<PlannerBuffer>& buffers,
                                     std::int64_t alignment) {
  int first_step = std::numeric_limits<int>::max();
  int last_step = std::numeric_limits<int>::min();
  for (const PlannerBuffer& buffer : buffers) {
    if (buffer.first_use > buffer.last_use) continue;
    first_step = std::min(first_step, buffer.first_use);
    last_step = std::max(last_step, buffer.last_use);
  }
  std::int64_t peak = 0;
  for (int step = first_step; step <= last_step; ++step) {
    std::int64_t live_bytes = 0;
    for (const PlannerBuffer& buffer : buffers) {
      if (buffer.first_use <= step && step <= buffer.last_use) {
        live_bytes += align_up(buffer.size, alignment);
      }
    }
    peak = std::max(peak, live_bytes);
  }
  return peak;
}

using planner_cases::inverted_residual_network;
using planner_cases::random_below;
using planner_cases::random_chain_with_skips;

TEST(AlignUp, RoundsPositiveSizesToTheNextMultiple) {
  EXPECT_EQ(align_up(1, 16), 16);
  EXPECT_EQ(align_up(16, 16), 16);
  EXPECT_EQ(align_up(17, 16), 32);
  EXPECT_EQ(align_up(5, 1), 5);
  EXPECT_EQ(align_up(0, 16), 0);
  EXPECT_EQ(align_up(-3, 16), 0);
}

TEST(MemoryPlanner, EmptyInputHasZeroPeak) {
  for (PlannerAlgorithm algorithm : kAlgorithms) {
    const MemoryPlan plan = plan_memory({}, algorithm);
    EXPECT_TRUE(plan.offsets.empty());
    EXPECT_EQ(plan.peak_bytes, 0);
    EXPECT_EQ(plan.lower_bound_bytes, 0);
    EXPECT_EQ(plan.algorithm, algorithm);
    EXPECT_TRUE(plan_is_valid({}, plan, 16));
  }
}

TEST(MemoryPlanner, ChainReusesTheFirstBufferForTheThird) {
  // a -> b -> c: a is dead by the time c is written, so c can take a's bytes.
  const std::vector<PlannerBuffer> chain = {{1024, 0, 1}, {2048, 1, 2}, {1024, 2, 3}};
  for (PlannerAlgorithm algorithm : kAlgorithms) {
    const MemoryPlan plan = plan_memory(chain, algorithm);
    EXPECT_EQ(plan.peak_bytes, 3072) << planner_algorithm_name(algorithm);
    EXPECT_EQ(plan.lower_bound_bytes, 3072);
    EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
    EXPECT_TRUE(plan_is_valid(chain, plan, 16));
  }
  // greedy_by_size places the largest first, at 0.
  EXPECT_EQ(plan_memory(chain, PlannerAlgorithm::greedy_by_size).offsets,
            (std::vector<std::int64_t>{2048, 0, 2048}));
}

TEST(MemoryPlanner, ResidualKeepsThreeBuffersLive) {
  // x -> conv -> t1 -> conv -> t2; add(x, t2) -> out. x stays live across the whole block,
  // so at step 1 x, t1 and t2 are live together.
  const std::vector<PlannerBuffer> block = {{1000, 0, 2}, {1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  for (PlannerAlgorithm algorithm : kAlgorithms) {
    const MemoryPlan plan = plan_memory(block, algorithm);
    EXPECT_EQ(plan.lower_bound_bytes, 3 * 1008);
    EXPECT_EQ(plan.peak_bytes, 3 * 1008) << planner_algorithm_name(algorithm);
    EXPECT_TRUE(plan_is_valid(block, plan, 16));
  }
}

TEST(MemoryPlanner, AlignmentRoundsEachBufferUp) {
  const std::vector<PlannerBuffer> bytes = {{1, 0, 0}, {1, 0, 0}, {1, 0, 0}};
  const MemoryPlan aligned = plan_memory(bytes, PlannerAlgorithm::greedy_by_size, 16);
  EXPECT_EQ(aligned.peak_bytes, 48);
  EXPECT_EQ(aligned.lower_bound_bytes, 48);
  EXPECT_EQ(aligned.offsets, (std::vector<std::int64_t>{0, 16, 32}));
  const MemoryPlan packed = plan_memory(bytes, PlannerAlgorithm::best_of, 1);
  EXPECT_EQ(packed.peak_bytes, 3);
  EXPECT_EQ(liveness_lower_bound(bytes, 4), 12);
}

TEST(MemoryPlanner, EmptyBuffersSitAtZeroAndConflictWithNothing) {
  const std::vector<PlannerBuffer> buffers = {
      {0, 0, 5},    // zero bytes
      {100, 0, 5},  // 112 once aligned
      {0, 2, 3},    // zero bytes
      {50, 1, 2},   // 64 once aligned
      {64, 4, 2},   // last_use before first_use: never live
  };
  for (PlannerAlgorithm algorithm : kAlgorithms) {
    const MemoryPlan plan = plan_memory(buffers, algorithm);
    EXPECT_EQ(plan.peak_bytes, 176) << planner_algorithm_name(algorithm);
    EXPECT_EQ(plan.lower_bound_bytes, 176);
    EXPECT_EQ(plan.offsets[0], 0);
    EXPECT_EQ(plan.offsets[2], 0);
    EXPECT_EQ(plan.offsets[4], 0);
    EXPECT_TRUE(plan_is_valid(buffers, plan, 16));
  }
}

TEST(MemoryPlanner, GreedyBreaksTiesByFirstUseThenIndex) {
  // Equal sizes: the buffer used first goes lowest; at equal first_use, the lower index.
  const std::vector<PlannerBuffer> buffers = {{64, 2, 3}, {64, 0, 2}, {64, 2, 2}};
  EXPECT_EQ(plan_memory(buffers, PlannerAlgorithm::greedy_by_size).offsets,
            (std::vector<std::int64_t>{64, 0, 128}));
}

TEST(MemoryPlanner, BestOfBeatsGreedyWhereGreedyStacksTheChainMiddle) {
  // A chain 2K -> 1K -> 1K -> 2K. greedy_by_size puts both 2K ends at offset 0 (they never
  // meet), so the two 1K buffers in the middle, which each touch a 2K end, stack above
  // 2K and above each other: 4K. The bound is 3K, reached by putting the third buffer at 0
  // and the last one on top of it.
  const std::vector<PlannerBuffer> chain = {{2048, 0, 1}, {1024, 1, 2}, {1024, 2, 3}, {2048, 3, 4}};
  const MemoryPlan greedy = plan_memory(chain, PlannerAlgorithm::greedy_by_size);
  EXPECT_EQ(greedy.offsets, (std::vector<std::int64_t>{0, 2048, 3072, 0}));
  EXPECT_EQ(greedy.peak_bytes, 4096);
  const MemoryPlan best = plan_memory(chain, PlannerAlgorithm::best_of);
  EXPECT_EQ(best.lower_bound_bytes, 3072);
  EXPECT_EQ(best.peak_bytes, 3072);
  EXPECT_EQ(best.algorithm, PlannerAlgorithm::best_of);
  EXPECT_TRUE(plan_is_valid(chain, best, 16));
}

TEST(MemoryPlanner, ExtremeStepsDoNotOverflow) {
  constexpr int kMin = std::numeric_limits<int>::min();
  constexpr int kMax = std::numeric_limits<int>::max();
  const std::vector<PlannerBuffer> buffers = {
      {4096, kMin, kMax}, {1024, kMin, kMin}, {1024, kMin + 1, kMax}, {2048, kMax, kMax}};
  for (PlannerAlgorithm algorithm : kAlgorithms) {
    const MemoryPlan plan = plan_memory(buffers, algorithm);
    EXPECT_TRUE(plan_is_valid(buffers, plan, 16)) << planner_algorithm_name(algorithm);
    EXPECT_EQ(plan.lower_bound_bytes, 4096 + 1024 + 2048);
    EXPECT_EQ(plan.peak_bytes, plan.lower_bound_bytes);
  }
}

TEST(PlanIsValid, RejectsOverlapMisalignmentAndWrongPeak) {
  const std::vector<PlannerBuffer> buffers = {{100, 0, 1}, {100, 1, 2}, {100, 3, 4}};
  MemoryPlan plan;
  plan.offsets = {0, 112, 0};
  plan.peak_bytes = 224;
  EXPECT_TRUE(plan_is_valid(buffers, plan, 16));

  MemoryPlan overlapping = plan;  // buffers 0 and 1 are both live at step 1
  overlapping.offsets = {0, 96, 0};
  overlapping.peak_bytes = 208;
  EXPECT_FALSE(plan_is_valid(buffers, overlapping, 16));

  MemoryPlan misaligned = plan;
  misaligned.offsets = {0, 120, 0};
  misaligned.peak_bytes = 232;
  EXPECT_FALSE(plan_is_valid(buffers, misaligned, 16));

  MemoryPlan wrong_peak = plan;
  wrong_peak.peak_bytes = 300;
  EXPECT_FALSE(plan_is_valid(buffers, wrong_peak, 16));

  MemoryPlan negative = plan;
  negative.offsets = {0, 112, -112};
  EXPECT_FALSE(plan_is_valid(buffers, negative, 16));

  MemoryPlan missing_offset = plan;
  missing_offset.offsets.pop_back();
  EXPECT_FALSE(plan_is_valid(buffers, missing_offset, 16));
}

TEST(MemoryPlannerProperty, RandomIntervalsGiveValidPlansNoBetterThanTheBound) {
  std::mt19937 rng(20240611);
  constexpr std::int64_t kAlignments[] = {1, 4, 16};
  int best_of_strictly_better = 0;
  for (int set = 0; set < 3000; ++set) {
    const std::int64_t alignment = kAlignments[set % 3];
    // One set in four has sizes 1..8, so that exact fits and equal sizes are common.
    const int max_size = set % 4 == 3 ? 8 : 100000;
    std::vector<PlannerBuffer> buffers(1 + random_below(rng, 80));
    for (PlannerBuffer& buffer : buffers) {
      const int a = random_below(rng, 61);
      const int b = random_below(rng, 61);
      buffer = {1 + random_below(rng, max_size), std::min(a, b), std::max(a, b)};
      if (random_below(rng, 50) == 0) buffer.size = 0;
    }
    SCOPED_TRACE(testing::Message() << "set " << set << ", alignment " << alignment);
    const std::int64_t bound = brute_force_lower_bound(buffers, alignment);
    ASSERT_EQ(liveness_lower_bound(buffers, alignment), bound);
    const MemoryPlan greedy = plan_memory(buffers, PlannerAlgorithm::greedy_by_size, alignment);
    const MemoryPlan best = plan_memory(buffers, PlannerAlgorithm::best_of, alignment);
    for (const MemoryPlan* plan : {&greedy, &best}) {
      ASSERT_TRUE(plan_is_valid(buffers, *plan, alignment))
          << planner_algorithm_name(plan->algorithm);
      ASSERT_EQ(plan->lower_bound_bytes, bound);
      ASSERT_GE(plan->peak_bytes, bound);
    }
    ASSERT_LE(best.peak_bytes, greedy.peak_bytes);
    best_of_strictly_better += best.peak_bytes < greedy.peak_bytes;
  }
  std::printf("[ measured ] best_of below greedy_by_size on %d of 3000 random interval sets\n",
              best_of_strictly_better);
  EXPECT_GE(best_of_strictly_better, 1500);  // Measured 1690.
}

struct BoundHits {
  int best_of = 0;
  int greedy = 0;
};

template <class MakeGraph>
BoundHits count_bound_hits(int graph_count, MakeGraph&& make_graph) {
  BoundHits hits;
  for (int graph = 0; graph < graph_count; ++graph) {
    const std::vector<PlannerBuffer> buffers = make_graph();
    SCOPED_TRACE(testing::Message() << "graph " << graph);
    const MemoryPlan greedy = plan_memory(buffers, PlannerAlgorithm::greedy_by_size);
    const MemoryPlan best = plan_memory(buffers, PlannerAlgorithm::best_of);
    EXPECT_TRUE(plan_is_valid(buffers, best, 16));
    EXPECT_LE(best.peak_bytes, greedy.peak_bytes);
    if (graph < 50) {
      EXPECT_EQ(plan_memory(buffers, PlannerAlgorithm::best_of).offsets, best.offsets)
          << "best_of must be deterministic";
    }
    hits.best_of += best.peak_bytes == best.lower_bound_bytes;
    hits.greedy += greedy.peak_bytes == greedy.lower_bound_bytes;
  }
  return hits;
}

TEST(MemoryPlannerProperty, BestOfUsuallyReachesTheBoundOnChainsWithSkips) {
  std::mt19937 rng(7);
  const BoundHits hits = count_bound_hits(
      1000, [&] { return random_chain_with_skips(rng, 20 + random_below(rng, 150)); });
  std::printf(
      "[ measured ] chains with skips: lower bound reached by best_of %.1f%%, "
      "greedy_by_size %.1f%%\n",
      hits.best_of / 10.0, hits.greedy / 10.0);
  // Measured 95.6% and 25.4% (this seed, 1000 chains).
  EXPECT_GE(hits.best_of, 930);
  EXPECT_LE(hits.greedy, 400);
}

TEST(MemoryPlannerProperty, BestOfReachesTheBoundOnInvertedResidualNetworks) {
  std::mt19937 rng(11);
  const BoundHits hits = count_bound_hits(
      300, [&] { return inverted_residual_network(rng, 5 + random_below(rng, 60)); });
  std::printf(
      "[ measured ] inverted residual networks: lower bound reached by best_of "
      "%.1f%%, greedy_by_size %.1f%%\n",
      hits.best_of / 3.0, hits.greedy / 3.0);
  EXPECT_GE(hits.best_of, 297);
}

TEST(MemoryPlannerProperty, ShiftingAllStepsChangesNoOffset) {
  std::mt19937 rng(3);
  for (int graph = 0; graph < 100; ++graph) {
    std::vector<PlannerBuffer> buffers = random_chain_with_skips(rng, 10 + random_below(rng, 60));
    std::vector<PlannerBuffer> shifted = buffers;
    for (PlannerBuffer& buffer : shifted) {
      buffer.first_use -= 100000;
      buffer.last_use -= 100000;
    }
    for (PlannerAlgorithm algorithm : kAlgorithms) {
      EXPECT_EQ(plan_memory(shifted, algorithm).offsets, plan_memory(buffers, algorithm).offsets)
          << "graph " << graph << ", " << planner_algorithm_name(algorithm);
    }
  }
}

TEST(PlannerAlgorithmName, NamesBothAlgorithms) {
  EXPECT_STREQ(planner_algorithm_name(PlannerAlgorithm::greedy_by_size), "greedy_by_size");
  EXPECT_STREQ(planner_algorithm_name(PlannerAlgorithm::best_of), "best_of");
}

}  // namespace
}  // namespace tinyscale::engine
