// --runtime tinyscale|tflite-micro: the runtime whose FLASH and RAM `net`, `info`, `solve` and
// `sweep` report (costmodel::Runtime). The default, tflite-micro, keeps the figures those
// commands have always printed (the .tflite file, the engine's arena); tinyscale prices this
// project's generated code (deploy::generated_code_size + the measured kernel tables of
// engine/deploy_size.h) for the board's core (cortex-m4, else the cortex-m7 table).
//
//   RuntimeOption runtime;
//   runtime.add_to(cmd);
//   ...
//   costmodel::CostOptions options;
//   runtime.apply(&options, budgets ? budgets->core : "");
//   std::printf("%s\n", runtime_label(report).c_str());
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "costmodel/costmodel.h"
#include "scaling/budgets.h"

namespace tinyscale::cli {

struct RuntimeOption {
  std::string runtime = "tflite-micro";

  void add_to(CLI::App* app);
  costmodel::Runtime value() const { return costmodel::parse_runtime(runtime); }
  // Sets options->runtime and, for tinyscale, the generated-code function and the core.
  void apply(costmodel::CostOptions* options, const std::string& board_core) const;
  // Throws tinyscale::Error for tinyscale with the arena split over a board's regions
  // (--arena-regions auto): the generated code has one arena.
  void check(const scaling::Budgets& budgets) const;
  // The option as given, to hand to another command (`info phinet ...` runs `net`).
  std::vector<std::string> arguments() const { return {"--runtime", runtime}; }
};

engine::DeviceCore device_core_of(const std::string& board_core);

// {"core", "flash_bytes", "model_data_bytes", "kernel_code_bytes", "invoke_code_bytes",
//  "ram_bytes", "arena_bytes", "stack_bytes"}: the generated code's items.
nlohmann::ordered_json tinyscale_json(const engine::DeviceFootprint& f, engine::DeviceCore core);

// "tinyscale generated code, cortex-m7" or "tflite-micro: .tflite file, engine arena".
std::string runtime_label(const costmodel::CostReport& report);

}  // namespace tinyscale::cli
