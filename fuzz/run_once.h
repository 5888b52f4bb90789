// What the model harnesses share: compile a graph for the engine as `tinyscale run` does,
// fill every input deterministically (a fixed byte pattern; floats in [-1, 1]) and run it
// once. A compile or run status other than ok is a clean rejection (the CLI turns it into a
// tinyscale::Error), so it returns normally.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/graph.h"
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

inline void compile_and_run_once(const core::Graph& graph) {
  engine::CompiledModel model;
  char error[512] = "";
  if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) return;
  for (int i = 0; i < model.num_inputs(); ++i) fill_input_deterministically(model.input(i));
  (void)model.run();
}

}  // namespace tinyscale::fuzz
