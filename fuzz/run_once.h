// What the model harnesses share: compile a graph for the engine as `tinyscale run` does,
// fill every input deterministically (a fixed byte pattern; floats in [-1, 1]) and run it
// once. A compile or run status other than ok is a clean rejection (the CLI turns it into a
// tinyscale::Error), so it returns normally.
//
// A model is only run when its work is under kRunBudget: a valid 28 KB .onnx can declare
// 621 M MACs (1.8 s in Release, 18.7 s under ASan), which is a legitimate model for the CLI
// but would stall the fuzzer on every mutation of it. The budget is 6x the largest seed's
// MACs (2.8 M); such models are still read and compiled (where the size limits act).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/graph.h"
#include "core/ops.h"
#include "engine/engine.h"

namespace tinyscale::fuzz {

inline void fill_input_deterministically(const engine::TensorRef& in) {
  const auto count = static_cast<std::size_t>(core::num_elements(in.shape()));
  for (std::size_t k = 0; k < count; ++k) {
    const auto pattern = static_cast<std::uint32_t>(k * 2654435761u >> 7);
    switch (in.tensor->dtype) {
      case core::DType::int8:
        in.as<std::int8_t>()[k] = static_cast<std::int8_t>(static_cast<int>(pattern % 256) - 128);
        break;
      case core::DType::int32:
        in.as<std::int32_t>()[k] = static_cast<std::int32_t>(pattern % 65536) - 32768;
        break;
      case core::DType::float32:
        in.as<float>()[k] = static_cast<float>(pattern % 2001) / 1000.0f - 1.0f;
        break;
    }
  }
}

inline constexpr std::int64_t kRunBudget = std::int64_t{1} << 24;

// MACs plus output elements over the graph's nodes, summed only until over kRunBudget (no
// overflow on a graph whose nodes share one huge weight tensor).
inline bool within_run_budget(const core::Graph& graph) {
  std::int64_t work = 0;
  for (const core::Node& node : graph.nodes) {
    work += core::op_info(node.op).macs(graph, node);
    for (const int output : node.outputs) {
      if (output >= 0) work += core::num_elements(graph.tensor(output).shape);
    }
    if (work > kRunBudget) return false;
  }
  return true;
}

inline void compile_and_run_once(const core::Graph& graph) {
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) return;
  if (!within_run_budget(graph)) return;
  for (int i = 0; i < model.num_inputs(); ++i) fill_input_deterministically(model.input(i));
  (void)model.run();
}

}  // namespace tinyscale::fuzz
