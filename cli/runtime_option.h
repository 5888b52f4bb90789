// --runtime tflite-micro|tinyscale|engine and --kernels reference|cmsis-nn: the runtime whose
// FLASH and RAM `net`, `info`, `solve` and `sweep` report (costmodel::Runtime).
//   tflite-micro (default)  TensorFlow Lite Micro running the .tflite: the file + the
//                           interpreter's and kernels' code; the arena_used_bytes it will report
//                           with --kernels (default cmsis-nn), predicted to the byte
//   tinyscale               this project's generated code (deploy::generated_code_size + the
//                           measured kernel tables of engine/deploy_size.h)
//   engine                  tinyscale's host engine (`tinyscale run`); its arena may be split
//                           over a board's regions (--arena-regions auto)
// Code tables are per core: cortex-m4 for a Cortex-M4 board, else the cortex-m7 table.
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
#include <optional>
#include <string>
#include <vector>

#include "costmodel/costmodel.h"
#include "engine/tflite_layout.h"
#include "scaling/budgets.h"

namespace tinyscale::cli {

struct RuntimeOption {
  std::string runtime = "tflite-micro";
  std::optional<std::string> kernels;  // --kernels, tflite-micro only
  // --patch auto|off|k,n and --max-extra-macs (costmodel::PatchOption): tinyscale and engine.
  std::string patch = "off";
  std::optional<std::string> max_extra_macs;

  void add_to(CLI::App* app);
  costmodel::Runtime value() const { return costmodel::parse_runtime(runtime); }
  costmodel::PatchOption patch_option() const;
  engine::TflmKernels tflm_kernels() const;
  // Sets options->runtime, the .tflite layout function (every runtime: the report also says
  // what TFLite Micro would need), the kernels and the core; for tinyscale the generated-code
  // function.
  void apply(costmodel::CostOptions* options, const std::string& board_core) const;
  // Throws tinyscale::Error for --kernels with another runtime than tflite-micro, for a
  // runtime with one arena (tflite-micro, tinyscale) with --arena-regions auto, for --patch
  // with tflite-micro, and for a malformed --patch or --max-extra-macs.
  void check(const scaling::Budgets* budgets) const;
  // "TFLite Micro, cmsis-nn kernels", "tinyscale generated code", "tinyscale engine".
  std::string describe() const;
  // The options as given, to hand to another command (`info phinet ...` runs `net`).
  std::vector<std::string> arguments() const;
};

// --patch and --max-extra-macs for a command without --runtime (run, deploy), and their value:
// throws tinyscale::Error for a malformed one or --max-extra-macs without --patch auto.
void add_patch_options(CLI::App* app, std::string* patch,
                       std::optional<std::string>* max_extra_macs);
costmodel::PatchOption patch_option_of(const std::string& patch,
                                       const std::optional<std::string>& max_extra_macs);

engine::DeviceCore device_core_of(const std::string& board_core);

// For a board whose core has no measured code tables (only cortex-m7 and cortex-m4 do): the
// note that the Cortex-M7 tables price its code; else "".
std::string code_table_note(const std::string& board_core);

// The layout of a .tflite file on disk (read and verified), and TFLite Micro's arena for it;
// both throw tinyscale::Error naming the file when it cannot be read or is malformed.
engine::TfliteLayout tflite_layout_of_file(const std::string& path);
engine::TflmArena tflm_arena_of_file(const std::string& path, engine::TflmKernels kernels);

// The .tflite layout of a float or int8 graph as `tinyscale export` writes it (int8 I/O).
engine::TfliteLayout export_layout(const core::Graph& graph);

// {"core", "flash_bytes", "model_data_bytes", "kernel_code_bytes", "invoke_code_bytes",
//  "ram_bytes", "arena_bytes", "stack_bytes"}: the generated code's items.
nlohmann::ordered_json tinyscale_json(const engine::DeviceFootprint& f, engine::DeviceCore core);

// {"kernels", "core", "flash_bytes", "file_bytes", "interpreter_code_bytes", "kernel_code_bytes",
//  "arena_used_bytes", "arena": {"head_bytes", "activation_bytes", "scratch_bytes", "tail_bytes",
//  "tail": {item: bytes}}, "exact"}: TFLite Micro's items.
nlohmann::ordered_json tflm_json(const engine::TflmArena& arena, const engine::TflmCodeSize& code,
                                 std::int64_t file_bytes, engine::TflmKernels kernels,
                                 engine::DeviceCore core);

// Prints TFLite Micro's arena the way its allocator lays it out (head, tail and the tail's
// items), indented by four spaces.
void print_tflm_arena(const engine::TflmArena& arena, engine::TflmKernels kernels);

// What the runtimes other than report.runtime would need for the same graph (`graph` as given
// to analyze with `options`): "TFLite Micro (cmsis-nn kernels): FLASH 1,234 B, RAM 5,678 B;
// tinyscale generated code: FLASH ..., RAM ...". With `cost_tinyscale` the graph is costed again
// for the generated code (which sizes every constant: for a network that fits a board); without
// it the text names the option that gives those figures.
std::string other_runtimes(const core::Graph& graph, const costmodel::CostReport& report,
                           const costmodel::CostOptions& options, bool cost_tinyscale);
nlohmann::ordered_json other_runtimes_json(const core::Graph& graph,
                                           const costmodel::CostReport& report,
                                           const costmodel::CostOptions& options,
                                           bool cost_tinyscale);

// With report.patch enabled: "the first 6 layers in 8x8 patches"; else "".
std::string patch_text(const costmodel::CostReport& report);
// The report line on patches: "the first 6 layers in 8x8 patches: 964,467 MACs (5.7%)
// recomputed in the halos; activations 273,312 B instead of 564,480 B"; with --patch auto and
// nothing better than whole layers, "none beats whole layers (activations 16,000 B)".
std::string patch_summary(const costmodel::CostReport& report);
nlohmann::ordered_json patch_json(const costmodel::CostReport& report,
                                  const costmodel::PatchOption& option);

// "tinyscale generated code, cortex-m7", "TFLite Micro 90b983c2, cmsis-nn kernels, cortex-m7"
// or "tinyscale engine".
std::string runtime_label(const costmodel::CostReport& report);

}  // namespace tinyscale::cli
