// Times the arena planners on graph-like buffer sets of about 150 and 500 buffers, and
// reports best_of against greedy_by_size measured in the same run on the same sets:
//   time_vs_greedy   time per plan, best_of / greedy_by_size
//   arena_vs_greedy  mean peak_bytes ratio, best_of / greedy_by_size (below 1 saves RAM)
//   at_bound         share of plans whose peak equals the liveness lower bound
// Each benchmark cycles through 32 different graphs of one family and size, as the cost
// model's solver does; one graph planned over and over times faster because the branch
// predictor learns it.
//
//   build/bench/planner_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/memory_planner.h"
#include "tests/engine/planner_cases.h"

namespace tinyscale::engine {
namespace {

// Buffer counts, not block counts, size the benchmark sets.
std::vector<PlannerBuffer> inverted_residual_network(std::mt19937& rng, int buffer_count) {
  return planner_cases::inverted_residual_network(rng, 1 << 30, buffer_count);
}
using planner_cases::random_chain_with_skips;

enum class GraphFamily { inverted_residual_network, random_chain_with_skips };

std::vector<std::vector<PlannerBuffer>> make_graphs(GraphFamily family, int buffer_count) {
  constexpr int kGraphCount = 32;
  std::vector<std::vector<PlannerBuffer>> graphs;
  for (int seed = 1; seed <= kGraphCount; ++seed) {
    std::mt19937 rng{std::uint32_t(seed)};
    graphs.push_back(family == GraphFamily::inverted_residual_network
                         ? inverted_residual_network(rng, buffer_count)
                         : random_chain_with_skips(rng, buffer_count));
  }
  return graphs;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BM_plan_memory(benchmark::State& state, GraphFamily family, PlannerAlgorithm algorithm) {
  const auto graphs = make_graphs(family, int(state.range(0)));
  std::size_t next = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const MemoryPlan plan = plan_memory(graphs[next], algorithm);
    benchmark::DoNotOptimize(plan.peak_bytes);
    next = (next + 1) % graphs.size();
  }
  const double seconds_per_plan = seconds_since(start) / double(state.iterations());

  // The baseline, timed the same way right after: as many greedy_by_size plans (capped).
  const std::int64_t baseline_plans = std::min<std::int64_t>(state.iterations(), 20000);
  next = 0;
  const auto baseline_start = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < baseline_plans; ++i) {
    const MemoryPlan plan = plan_memory(graphs[next], PlannerAlgorithm::greedy_by_size);
    benchmark::DoNotOptimize(plan.peak_bytes);
    next = (next + 1) % graphs.size();
  }
  const double greedy_seconds_per_plan = seconds_since(baseline_start) / double(baseline_plans);

  double buffers = 0;
  double arena_vs_greedy = 0;
  double at_bound = 0;
  for (const auto& graph : graphs) {
    const MemoryPlan plan = plan_memory(graph, algorithm);
    const MemoryPlan greedy = plan_memory(graph, PlannerAlgorithm::greedy_by_size);
    buffers += double(graph.size());
    arena_vs_greedy += double(plan.peak_bytes) / double(greedy.peak_bytes);
    at_bound += plan.peak_bytes == plan.lower_bound_bytes ? 1.0 : 0.0;
  }
  const double graph_count = double(graphs.size());
  state.counters["buffers"] = buffers / graph_count;
  state.counters["time_vs_greedy"] = seconds_per_plan / greedy_seconds_per_plan;
  state.counters["arena_vs_greedy"] = arena_vs_greedy / graph_count;
  state.counters["at_bound"] = at_bound / graph_count;
  state.SetLabel(planner_algorithm_name(algorithm));
}

BENCHMARK_CAPTURE(BM_plan_memory, network_greedy_by_size, GraphFamily::inverted_residual_network,
                  PlannerAlgorithm::greedy_by_size)
    ->Arg(150)
    ->Arg(500)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_plan_memory, network_best_of, GraphFamily::inverted_residual_network,
                  PlannerAlgorithm::best_of)
    ->Arg(150)
    ->Arg(500)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_plan_memory, chain_greedy_by_size, GraphFamily::random_chain_with_skips,
                  PlannerAlgorithm::greedy_by_size)
    ->Arg(150)
    ->Arg(500)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_plan_memory, chain_best_of, GraphFamily::random_chain_with_skips,
                  PlannerAlgorithm::best_of)
    ->Arg(150)
    ->Arg(500)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tinyscale::engine

BENCHMARK_MAIN();
