// Solve time per board: `scaling::solve` against the brute-force grid (`solve_grid`, 8×8
// shapes, each with its exact largest feasible α) measured in the same run, for PhiNet at
// 96×96 and 224×224 with a 10-class head, costed as `tinyscale solve` costs by default:
// TensorFlow Lite Micro with CMSIS-NN kernels (FLASH the .tflite from exporter::tflite_layout
// + its code, RAM the predicted arena), with the CLI's operator new (cli/small_block_cache.cpp).
// Counters: objective reached, points evaluated, distinct networks costed exactly, and
// objective / grid objective.
//
//   build/bench/solver_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>
#include <utility>

#include "export/tflite_layout.h"
#include "scaling/boards.h"
#include "scaling/solver.h"

namespace {

using namespace tinyscale;

// A plain function, as the CLI passes it (cli::export_layout).
engine::TfliteLayout export_layout(const core::Graph& graph) {
  return exporter::tflite_layout(graph);
}
engine::TfliteLayout export_layout_moved(core::Graph&& graph) {
  return exporter::tflite_layout_moved(std::move(graph));
}

scaling::SolveRequest request_for(int board_index, std::int64_t side) {
  static const scaling::BoardDatabase db = scaling::BoardDatabase::builtin();
  scaling::SolveRequest r;
  r.input = {3, side, side};
  r.num_classes = 10;
  r.budgets = scaling::budgets_for_board(db.boards()[static_cast<std::size_t>(board_index)]);
  // FLASH and RAM as `tinyscale solve` costs them by default.
  r.runtime = costmodel::Runtime::tflite_micro;
  r.tflite_layout = export_layout;
  r.tflite_layout_moved = export_layout_moved;
  r.tflm_kernels = engine::TflmKernels::cmsis_nn;
  return r;
}

void run(benchmark::State& state, bool grid) {
  const scaling::SolveRequest r = request_for(static_cast<int>(state.range(0)), state.range(1));
  state.SetLabel(r.budgets.board);
  scaling::Solution s;
  for (auto _ : state) {
    try {
      s = grid ? scaling::solve_grid(r, 8, 8) : scaling::solve(r);
    } catch (const scaling::InfeasibleError&) {
      state.SkipWithError("no PhiNet fits this board at this resolution");
      return;
    }
  }
  state.counters["objective"] = s.objective_value;
  state.counters["evaluations"] = s.evaluations;
  state.counters["distinct_networks"] = s.distinct_networks;
  if (!grid) {
    const scaling::Solution g = scaling::solve_grid(r, 8, 8);
    state.counters["vs_grid"] = s.objective_value / g.objective_value;
  }
}

void BM_Solve(benchmark::State& state) { run(state, false); }
void BM_Grid(benchmark::State& state) { run(state, true); }

void board_args(benchmark::internal::Benchmark* b) {
  const int boards = static_cast<int>(scaling::BoardDatabase::builtin().boards().size());
  for (int side : {96, 224}) {
    for (int i = 0; i < boards; ++i) b->Args({i, side});
  }
  b->Unit(benchmark::kMillisecond)->Iterations(3);
}

BENCHMARK(BM_Solve)->Apply(board_args);
BENCHMARK(BM_Grid)->Apply(board_args);

}  // namespace

BENCHMARK_MAIN();
