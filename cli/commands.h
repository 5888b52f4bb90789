// The tinyscale subcommands. Each add_* function registers its options on the app and
// returns the callback main() runs when that subcommand was given. Callbacks throw
// tinyscale::Error; main() prints it as one line and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "blocks/builder.h"
#include "core/graph.h"
#include "scaling/budgets.h"
#include "scaling/solver.h"

namespace tinyscale::cli {

using Command = std::function<void()>;

Command add_net_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_quantize_command(CLI::App& app);

// The network options of `tinyscale net` (family + micromind's arguments), shared by
// `net`, `info` and `export`.
struct NetOptions;
std::shared_ptr<NetOptions> add_net_options(CLI::App* app);
core::Graph build_net(const NetOptions& options, const blocks::BuilderOptions& weights);
// A detector (yolo-phinet / yolo-xinet): its input is pixels / 255, not values in [-1, 1].
bool is_detector(const NetOptions& options);
Command add_solve_command(CLI::App& app);
Command add_boards_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_info_command(CLI::App& app);
Command add_sweep_command(CLI::App& app);
Command add_detect_command(CLI::App& app);
Command add_kws_command(CLI::App& app);
Command add_clap_command(CLI::App& app);
Command add_clap_export_command(CLI::App& app);
Command add_deploy_command(CLI::App& app);

// --init of `export` and `clap-export`: "data" (the default; exporter::data_dependent_init on
// the calibration inputs) or "pytorch" (the builders' PyTorch default initialization as is).
void add_init_option(CLI::App* cmd, std::string& init);
// The report line of --init pytorch.
inline constexpr const char* kPytorchInitSummary =
    "pytorch (PyTorch's default: kaiming_uniform_ a=sqrt(5), BatchNorm at identity; "
    "untrained activations fade with depth)";

// A solution's hyperparameters, exact costs, utilization, binding budget and rebuild
// command, as the JSON keys of `solve --json` and `sweep --json` (appended to `j`).
void add_solution_fields(const scaling::Solution& s, nlohmann::ordered_json& j);

// Budget options of `solve`: --board (with --boards-file, reserves, --arena-regions) or
// explicit --flash/--ram, with --macs and/or --latency (+ --core/--mhz; --mhz also lowers a
// board's clock).
struct BudgetOptions {
  BudgetOptions(CLI::App* app, bool board_required);
  scaling::Budgets resolve() const;  // throws tinyscale::Error
  std::string board, boards_file, flash, ram, macs, latency, core, reserve_flash, reserve_ram;
  std::string arena_regions;  // "", "single" or "auto"
  std::optional<double> mhz;
};

}  // namespace tinyscale::cli
