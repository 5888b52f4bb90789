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

namespace tinyscale::engine {
namespace {

int random_below(std::mt19937& rng, int bound) { return int(rng() % std::uint32_t(bound)); }

// The int8 activations of a MobileNet-like network on a 96x96 input: inverted residual
// blocks (1x1 expand, depthwise, squeeze-excite on half of them, 1x1 project, residual add
// when the shape is kept) and ~10% of block outputs broadcast to the head. One node per step.
std::vector<PlannerBuffer> inverted_residual_network(std::mt19937& rng, int buffer_count) {
  std::vector<PlannerBuffer> buffers;
  int step = 0;
  const auto produce = [&](std::int64_t size) {
    buffers.push_back({size, step, step});
    ++step;
    return buffers.size() - 1;
  };
  const auto read = [&](std::size_t buffer) {
    buffers[buffer].last_use = std::max(buffers[buffer].last_use, step);
  };
  std::int64_t pixels = 96 * 96;
  std::int64_t channels = 16;
  std::size_t block_input = produce(pixels * 3);
  read(block_input);
  block_input = produce(pixels * channels);
  std::vector<std::size_t> broadcast;
  while (int(buffers.size()) < buffer_count - 1) {
    const bool downsample = random_below(rng, 4) == 0 && pixels > 16;
    const std::int64_t expanded = channels * (2 + random_below(rng, 5));
    const std::int64_t out_pixels = downsample ? pixels / 4 : pixels;
    const std::int64_t out_channels = downsample ? channels * 2 : channels;
    read(block_input);
    const std::size_t expand = produce(pixels * expanded);
    read(expand);
    std::size_t activation = produce(out_pixels * expanded);
    if (random_below(rng, 2) == 0) {
      read(activation);
      const std::size_t pooled = produce(expanded);
      read(pooled);
      const std::size_t squeezed = produce(expanded / 4);
      read(squeezed);
      const std::size_t scale = produce(expanded);
      read(scale);
      read(activation);
      activation = produce(out_pixels * expanded);
    }
    read(activation);
    std::size_t output = produce(out_pixels * out_channels);
    if (!downsample) {
      read(block_input);
      read(output);
      output = produce(out_pixels * out_channels);
    }
    if (random_below(rng, 10) == 0) broadcast.push_back(output);
    block_input = output;
    pixels = out_pixels;
    channels = out_channels;
  }
  for (std::size_t skip : broadcast) read(skip);
  read(block_input);
  produce(channels);
  return buffers;
}

// A chain whose outputs have random sizes in 1..100000; 15% are also read 2-5 nodes later
// (residuals) and 5% much later (long skips). Harder than a network: best_of often has to
// run all of its stages.
std::vector<PlannerBuffer> random_chain_with_skips(std::mt19937& rng, int buffer_count) {
  std::vector<PlannerBuffer> buffers;
  for (int node = 0; node < buffer_count; ++node) {
    PlannerBuffer output{1 + random_below(rng, 100000), node, node + 1};
    const int kind = random_below(rng, 100);
    if (kind < 15) {
      output.last_use = std::min(buffer_count, node + 2 + random_below(rng, 4));
    } else if (kind < 20) {
      output.last_use = std::min(buffer_count, node + 2 + random_below(rng, buffer_count - node));
    }
    buffers.push_back(output);
  }
  return buffers;
}

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
