#include "cli/runtime_option.h"

#include "core/error.h"
#include "deploy/codegen.h"

namespace tinyscale::cli {

void RuntimeOption::add_to(CLI::App* app) {
  app->add_option("--runtime", runtime,
                  "Runtime the FLASH and RAM figures are for: tflite-micro (default; the "
                  ".tflite file and the engine's arena) or tinyscale (the generated code: "
                  "const data + kernel code, arena + stack)")
      ->check(CLI::IsMember({"tflite-micro", "tinyscale"}));
}

void RuntimeOption::check(const scaling::Budgets& budgets) const {
  if (value() == costmodel::Runtime::tinyscale &&
      budgets.arena_regions == scaling::ArenaRegions::split) {
    throw Error("--runtime tinyscale: the generated code has one arena; --arena-regions auto "
                "splits it over the board's regions (use --arena-regions single)");
  }
}

engine::DeviceCore device_core_of(const std::string& board_core) {
  return board_core == "cortex-m4" ? engine::DeviceCore::cortex_m4 : engine::DeviceCore::cortex_m7;
}

void RuntimeOption::apply(costmodel::CostOptions* options, const std::string& board_core) const {
  options->runtime = value();
  if (options->runtime == costmodel::Runtime::tinyscale) {
    options->generated_code_size = deploy::generated_code_size;
    options->tinyscale_core = device_core_of(board_core);
  }
}

nlohmann::ordered_json tinyscale_json(const engine::DeviceFootprint& f, engine::DeviceCore core) {
  return {{"core", engine::device_core_name(core)},
          {"flash_bytes", f.flash_bytes()},
          {"model_data_bytes", f.model_data_bytes},
          {"kernel_code_bytes", f.kernel_code_bytes},
          {"invoke_code_bytes", f.invoke_code_bytes},
          {"ram_bytes", f.ram_bytes()},
          {"arena_bytes", f.arena_bytes},
          {"stack_bytes", f.stack_bytes}};
}

std::string runtime_label(const costmodel::CostReport& report) {
  if (report.runtime == costmodel::Runtime::tinyscale) {
    return std::string("tinyscale generated code, ") +
           engine::device_core_name(report.tinyscale_core);
  }
  return "tflite-micro: .tflite file, engine arena";
}

}  // namespace tinyscale::cli
