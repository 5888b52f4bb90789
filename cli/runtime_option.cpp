#include "cli/runtime_option.h"

#include <cstdio>
#include <fstream>
#include <iterator>

#include "cli/options.h"
#include "core/error.h"
#include "deploy/codegen.h"
#include "export/tflite_layout.h"

namespace tinyscale::cli {

void RuntimeOption::add_to(CLI::App* app) {
  app->add_option("--runtime", runtime,
                  "Runtime the FLASH and RAM figures are for: tflite-micro (default; TensorFlow "
                  "Lite Micro: the .tflite file + its code, the arena it will report), tinyscale "
                  "(the generated code: const data + kernel code, arena + stack) or engine "
                  "(tinyscale's host engine; its arena may be split over regions)")
      ->check(CLI::IsMember({"tflite-micro", "tinyscale", "engine"}));
  app->add_option("--kernels", kernels,
                  "[tflite-micro] TFLite Micro's kernels: cmsis-nn (default) or reference")
      ->check(CLI::IsMember({"reference", "cmsis-nn"}));
  add_patch_options(app, &patch, &max_extra_macs);
}

void add_patch_options(CLI::App* app, std::string* patch,
                       std::optional<std::string>* max_extra_macs) {
  app->add_option("--patch", *patch,
                  "[tinyscale, engine] Patch-based execution of the first layers: off "
                  "(default), auto (the stage and grid with the smallest arena within "
                  "--max-extra-macs) or k,n (the first k conv/pool layers in an n×n grid)");
  app->add_option("--max-extra-macs", *max_extra_macs,
                  "[--patch auto] MACs the recomputed patch halos may add, as a share of the "
                  "network's (default 20%)");
}

costmodel::PatchOption patch_option_of(const std::string& patch,
                                       const std::optional<std::string>& max_extra_macs) {
  costmodel::PatchOption o = costmodel::parse_patch_option(patch);
  if (max_extra_macs) {
    if (o.mode != costmodel::PatchOption::Mode::automatic) {
      throw Error(
          "--max-extra-macs applies to --patch auto (the search it bounds), not to --patch " +
          patch);
    }
    o.max_extra_macs = costmodel::parse_extra_macs(*max_extra_macs);
  }
  return o;
}

costmodel::PatchOption RuntimeOption::patch_option() const {
  return patch_option_of(patch, max_extra_macs);
}

engine::TflmKernels RuntimeOption::tflm_kernels() const {
  engine::TflmKernels k = engine::TflmKernels::cmsis_nn;
  if (kernels) engine::parse_tflm_kernels(*kernels, &k);
  return k;
}

void RuntimeOption::check(const scaling::Budgets* budgets) const {
  const costmodel::Runtime r = value();
  if (kernels && r != costmodel::Runtime::tflite_micro) {
    throw Error(
        "--kernels applies to --runtime tflite-micro (TFLite Micro's kernels), not to "
        "--runtime " +
        runtime);
  }
  if (patch_option().enabled() && r == costmodel::Runtime::tflite_micro) {
    throw Error("--patch " + patch +
                ": TensorFlow Lite Micro computes every layer whole; patch-based execution needs "
                "--runtime tinyscale or --runtime engine");
  }
  if (budgets == nullptr || budgets->arena_regions != scaling::ArenaRegions::split) return;
  if (r == costmodel::Runtime::tinyscale) {
    throw Error(
        "--runtime tinyscale: the generated code has one arena; --arena-regions auto "
        "splits it over the board's regions (use --arena-regions single)");
  }
  if (r == costmodel::Runtime::tflite_micro) {
    throw Error(
        "--runtime tflite-micro: TFLite Micro has one arena; --arena-regions auto "
        "splits it over the board's regions (use --arena-regions single, or --runtime "
        "engine for tinyscale's host engine)");
  }
}

std::string RuntimeOption::describe() const {
  switch (value()) {
    case costmodel::Runtime::tinyscale:
      return "tinyscale generated code";
    case costmodel::Runtime::engine:
      return "tinyscale engine";
    case costmodel::Runtime::tflite_micro:
      break;
  }
  return std::string("TFLite Micro, ") + engine::tflm_kernels_name(tflm_kernels()) + " kernels";
}

std::vector<std::string> RuntimeOption::arguments() const {
  std::vector<std::string> args = {"--runtime", runtime};
  if (kernels) {
    args.push_back("--kernels");
    args.push_back(*kernels);
  }
  if (patch != "off") {
    args.push_back("--patch");
    args.push_back(patch);
  }
  if (max_extra_macs) {
    args.push_back("--max-extra-macs");
    args.push_back(*max_extra_macs);
  }
  return args;
}

engine::DeviceCore device_core_of(const std::string& board_core) {
  return board_core == "cortex-m4" ? engine::DeviceCore::cortex_m4 : engine::DeviceCore::cortex_m7;
}

std::string code_table_note(const std::string& board_core) {
  if (board_core.empty() || board_core == "cortex-m7" || board_core == "cortex-m4") return "";
  return "code sizes (TFLite Micro's, the generated code's) are the Cortex-M7 tables: none is "
         "measured for " +
         board_core +
         "; TFLite Micro's arena is its Cortex-M7/M4 build's "
         "(CMSIS-NN's scratch buffers may differ without the DSP extension)";
}

engine::TfliteLayout tflite_layout_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  return exporter::read_tflite_layout(bytes, path);
}

engine::TflmArena tflm_arena_of_file(const std::string& path, engine::TflmKernels kernels) {
  return engine::predict_tflm_arena(tflite_layout_of_file(path), kernels);
}

engine::TfliteLayout export_layout(const core::Graph& graph) {
  return exporter::tflite_layout(graph);
}

void RuntimeOption::apply(costmodel::CostOptions* options, const std::string& board_core) const {
  options->runtime = value();
  options->tflite_layout = export_layout;
  options->tflm_kernels = tflm_kernels();
  options->tinyscale_core = device_core_of(board_core);
  options->patch = patch_option();
  if (options->runtime == costmodel::Runtime::tinyscale) {
    options->generated_code_size = deploy::generated_code_size;
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

nlohmann::ordered_json tflm_json(const engine::TflmArena& arena, const engine::TflmCodeSize& code,
                                 std::int64_t file_bytes, engine::TflmKernels kernels,
                                 engine::DeviceCore core) {
  nlohmann::ordered_json tail = nlohmann::ordered_json::object();
  for (const engine::TflmArenaItem& item : arena.items) tail[item.what] = item.bytes;
  return {{"kernels", engine::tflm_kernels_name(kernels)},
          {"core", engine::device_core_name(core)},
          {"flash_bytes", file_bytes + code.interpreter_bytes + code.kernel_bytes},
          {"file_bytes", file_bytes},
          {"interpreter_code_bytes", code.interpreter_bytes},
          {"kernel_code_bytes", code.kernel_bytes},
          {"arena_used_bytes", arena.used_bytes},
          {"arena",
           {{"head_bytes", arena.head_bytes},
            {"activation_bytes", arena.activation_bytes},
            {"scratch_bytes", arena.scratch_bytes},
            {"tail_bytes", arena.tail_bytes},
            {"tail", tail}}},
          {"exact", arena.exact && code.exact}};
}

void print_tflm_arena(const engine::TflmArena& arena, engine::TflmKernels kernels) {
  (void)kernels;
  std::printf(
      "    head: memory plan           %10s B  (the tensors alone %s B; scratch buffers %s B "
      "requested)\n",
      group_digits(arena.head_bytes).c_str(), group_digits(arena.activation_bytes).c_str(),
      group_digits(arena.scratch_bytes).c_str());
  std::printf("    tail: persistent            %10s B\n", group_digits(arena.tail_bytes).c_str());
  for (const engine::TflmArenaItem& item : arena.items) {
    if (item.bytes == 0) continue;
    std::printf("      %-38s %8s B\n", item.what.c_str(), group_digits(item.bytes).c_str());
  }
}

std::string patch_text(const costmodel::CostReport& report) {
  if (!report.patch.enabled()) return "";
  return "the first " + std::to_string(report.patch.layers) + " layers in " +
         std::to_string(report.patch.grid) + "x" + std::to_string(report.patch.grid) + " patches";
}

std::string patch_summary(const costmodel::CostReport& report) {
  if (!report.patch.enabled()) {
    return "none beats whole layers (activations " + group_digits(report.ram_activation_bytes) +
           " B)";
  }
  const std::int64_t extra = report.executed_macs - report.macs;
  char share[32];
  std::snprintf(share, sizeof share, "%.1f%%",
                report.macs > 0
                    ? 100.0 * static_cast<double>(extra) / static_cast<double>(report.macs)
                    : 0.0);
  return patch_text(report) + ": " + group_digits(extra) + " MACs (" + share +
         ") recomputed in the halos; activations " + group_digits(report.ram_activation_bytes) +
         " B instead of " + group_digits(report.unpatched_activation_bytes) + " B";
}

nlohmann::ordered_json patch_json(const costmodel::CostReport& report,
                                  const costmodel::PatchOption& option) {
  nlohmann::ordered_json j = {{"option", costmodel::patch_option_text(option)},
                              {"layers", report.patch.layers},
                              {"grid", report.patch.grid},
                              {"executed_macs", report.executed_macs},
                              {"extra_macs", report.executed_macs - report.macs},
                              {"activation_bytes", report.ram_activation_bytes},
                              {"unpatched_activation_bytes", report.unpatched_activation_bytes}};
  if (option.mode == costmodel::PatchOption::Mode::automatic) {
    j["max_extra_macs"] = option.max_extra_macs;
  }
  return j;
}

namespace {

struct OtherRuntime {
  std::string id;  // costmodel::runtime_name
  std::string name;
  std::int64_t flash = 0;
  std::int64_t ram = 0;
};

std::vector<OtherRuntime> other_runtime_figures(const core::Graph& graph,
                                                const costmodel::CostReport& report,
                                                const costmodel::CostOptions& options,
                                                bool cost_tinyscale) {
  std::vector<OtherRuntime> out;
  if (report.runtime != costmodel::Runtime::tflite_micro && report.tflm_known) {
    out.push_back({"tflite-micro",
                   std::string("TFLite Micro (") + engine::tflm_kernels_name(report.tflm_kernels) +
                       " kernels)",
                   report.tflite_file_bytes + report.tflm_code.interpreter_bytes +
                       report.tflm_code.kernel_bytes,
                   report.tflm.used_bytes});
  }
  if (report.runtime != costmodel::Runtime::tinyscale && cost_tinyscale) {
    costmodel::CostOptions o = options;
    o.runtime = costmodel::Runtime::tinyscale;
    o.generated_code_size = deploy::generated_code_size;
    o.tflite_layout = nullptr;
    o.tflite_file_bytes = nullptr;
    o.per_layer = false;
    o.compare_greedy = false;
    o.ram_region_capacities = {};
    const costmodel::CostReport t = costmodel::analyze(graph, o);
    out.push_back({"tinyscale",
                   std::string("tinyscale generated code (") +
                       engine::device_core_name(t.tinyscale_core) + ")",
                   t.flash_bytes, t.ram_bytes});
  }
  return out;
}

}  // namespace

std::string other_runtimes(const core::Graph& graph, const costmodel::CostReport& report,
                           const costmodel::CostOptions& options, bool cost_tinyscale) {
  std::string text;
  for (const OtherRuntime& r : other_runtime_figures(graph, report, options, cost_tinyscale)) {
    if (!text.empty()) text += "; ";
    text += r.name + ": FLASH " + group_digits(r.flash) + " B, RAM " + group_digits(r.ram) + " B";
  }
  if (report.runtime != costmodel::Runtime::tinyscale && !cost_tinyscale) {
    text += std::string(text.empty() ? "" : "; ") + "--runtime tinyscale for the generated code";
  }
  return text;
}

nlohmann::ordered_json other_runtimes_json(const core::Graph& graph,
                                           const costmodel::CostReport& report,
                                           const costmodel::CostOptions& options,
                                           bool cost_tinyscale) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const OtherRuntime& r : other_runtime_figures(graph, report, options, cost_tinyscale)) {
    j.push_back(
        {{"runtime", r.id}, {"label", r.name}, {"flash_bytes", r.flash}, {"ram_bytes", r.ram}});
  }
  return j;
}

std::string runtime_label(const costmodel::CostReport& report) {
  switch (report.runtime) {
    case costmodel::Runtime::tinyscale:
      return std::string("tinyscale generated code, ") +
             engine::device_core_name(report.tinyscale_core);
    case costmodel::Runtime::engine:
      return "tinyscale engine";
    case costmodel::Runtime::tflite_micro:
      break;
  }
  return std::string("TFLite Micro, ") + engine::tflm_kernels_name(report.tflm_kernels) +
         " kernels, " + engine::device_core_name(report.tinyscale_core);
}

}  // namespace tinyscale::cli
