// The engine per model: arena of the best_of planner against a TFLite-Micro-style
// greedy-by-size plan and the liveness lower bound (same buffers, same run), and for the
// models it can run (the int8 MLPerf Tiny interop models), time per inference and MAC/s
// with the reference kernels. PhiNet/XiNet are planned as int8 deployments of the float
// graph (they run once the quantizer exists).
//
//   build/bench/engine_bench
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "core/ops.h"
#include "core/passes.h"
#include "engine/engine.h"
#include "export/tflite_reader.h"
#include "nets/phinet.h"
#include "nets/xinet.h"

namespace {

using namespace tinyscale;

void report_plans(benchmark::State& state, const core::Graph& graph, bool int8_sizes) {
  engine::ArenaPlan best, greedy;
  for (auto _ : state) {
    best = engine::plan_arena(
        graph, {.int8_activations = int8_sizes, .algorithm = engine::PlannerAlgorithm::best_of});
  }
  greedy = engine::plan_arena(graph, {.int8_activations = int8_sizes,
                                      .algorithm = engine::PlannerAlgorithm::greedy_by_size});
  state.counters["best_of_B"] = static_cast<double>(best.plan.peak_bytes);
  state.counters["greedy_B"] = static_cast<double>(greedy.plan.peak_bytes);
  state.counters["lower_bound_B"] = static_cast<double>(best.plan.lower_bound_bytes);
  state.counters["over_bound_pct"] =
      100.0 * static_cast<double>(best.plan.peak_bytes - best.plan.lower_bound_bytes) /
      static_cast<double>(best.plan.lower_bound_bytes);
}

void BM_PlanPhiNet(benchmark::State& state) {
  nets::PhiNetConfig c;
  c.input = {3, state.range(0), state.range(0)};
  c.alpha = 0.5;
  c.include_top = true;
  report_plans(state, core::lower_for_deployment(nets::build_phinet(c)), true);
}
BENCHMARK(BM_PlanPhiNet)->Arg(96)->Arg(160)->Arg(224)->Unit(benchmark::kMicrosecond);

void BM_PlanXiNet(benchmark::State& state) {
  nets::XiNetConfig c;
  c.input = {3, state.range(0), state.range(0)};
  c.alpha = 0.5;
  c.include_top = true;
  c.num_classes = 10;
  report_plans(state, core::lower_for_deployment(nets::build_xinet(c)), true);
}
BENCHMARK(BM_PlanXiNet)->Arg(96)->Arg(160)->Arg(224)->Unit(benchmark::kMicrosecond);

const std::string kInterop = std::string(TINYSCALE_SHARED_DIR) + "/interop/tflite/";

void interop_plan(benchmark::State& state, const char* model) {
  const std::string path = kInterop + model + "/model.tflite";
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("../shared/interop is absent");
    return;
  }
  report_plans(state, exporter::read_tflite(path), false);
}

void interop_run(benchmark::State& state, const char* model) {
  const std::string path = kInterop + model + "/model.tflite";
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("../shared/interop is absent");
    return;
  }
  const core::Graph graph = exporter::read_tflite(path);
  engine::CompiledModel compiled;
  char error[256];
  if (compiled.compile(graph, {}, error, sizeof error) != engine::Status::ok) {
    state.SkipWithError(error);
    return;
  }
  std::int64_t macs = 0;
  for (const core::Node& n : graph.nodes) macs += core::op_info(n.op).macs(graph, n);
  const engine::TensorRef& in = compiled.input(0);
  const auto bytes =
      static_cast<std::size_t>(core::num_elements(in.shape()) * core::dtype_size(in.tensor->dtype));
  for (auto _ : state) {
    std::memset(in.data, 3, bytes);
    compiled.run();
  }
  state.counters["MAC/s"] =
      benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["arena_B"] = static_cast<double>(compiled.arena_bytes());
}

BENCHMARK_CAPTURE(interop_plan, kws_ref_model, "kws_ref_model")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(interop_plan, ad01_int8, "ad01_int8")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(interop_run, kws_ref_model, "kws_ref_model")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(interop_run, ad01_int8, "ad01_int8")->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
