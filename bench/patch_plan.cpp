// The activation arena of an int8 .tflite as the engine plans it, with and without in-place
// execution: the figure the CLI does not print (it always plans in place). bench/patch_bench.sh
// reads it for the "old live-tensor bound" column (engine::plan_arena with in_place = false:
// every op writes a fresh buffer, every layer whole) and checks the in-place figure against
// `tinyscale info MODEL --runtime engine --json` (ram.activation_arena).
//
// The graph is loaded as `tinyscale info` and `run` load a .tflite (cli/model_loader.cpp: a PAD
// feeding a VALID convolution folded into it) and costed as they cost an int8 model.
//
//   build/bench/patch_plan MODEL.tflite
//   {"old_bound_bytes": 165888, "in_place_bytes": 103680}
#include <cstdio>
#include <exception>

#include "core/graph.h"
#include "core/passes.h"
#include "engine/liveness.h"
#include "export/tflite_reader.h"

int main(int argc, char** argv) {
  using namespace tinyscale;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL.tflite\n", argv[0]);
    return 2;
  }
  try {
    core::Graph graph = exporter::read_tflite(argv[1]);
    core::fold_pad_into_conv(graph);
    const long long old_bound = engine::plan_arena(graph, {.in_place = false}).plan.peak_bytes;
    const long long in_place = engine::plan_arena(graph, {.in_place = true}).plan.peak_bytes;
    std::printf("{\"old_bound_bytes\": %lld, \"in_place_bytes\": %lld}\n", old_bound, in_place);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patch_plan: %s\n", e.what());
    return 1;
  }
  return 0;
}
