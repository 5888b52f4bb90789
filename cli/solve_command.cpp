// `tinyscale solve` and `tinyscale boards`: the network that fills a board, and the boards
// tinyscale knows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "cli/board_regions.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/runtime_option.h"
#include "core/error.h"
#include "costmodel/latency.h"
#include "deploy/codegen.h"
#include "export/tflite_layout.h"
#include "export/tflite_writer.h"
#include "scaling/boards.h"
#include "scaling/budgets.h"
#include "scaling/solver.h"

namespace tinyscale::cli {
namespace {

// exporter::tflite_layout_moved as costmodel::TfliteLayoutMovedFunction: each candidate's
// graph goes to the exporter instead of a copy of it.
engine::TfliteLayout export_layout_moved(core::Graph&& graph) {
  return exporter::tflite_layout_moved(std::move(graph));
}

std::string percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %%", 100.0 * fraction);
  return buffer;
}

}  // namespace

void add_solution_fields(const scaling::Solution& s, nlohmann::ordered_json& j) {
  j["family"] = scaling::family_name(s.family);
  j["alpha"] = s.alpha;
  j["beta"] = s.beta;
  if (scaling::family_uses_t0(s.family)) {
    j["t0"] = s.t0;
  } else {
    j["gamma"] = s.gamma;
  }
  j["num_layers"] = s.num_layers;
  j["input"] = {s.input[0], s.input[1], s.input[2]};
  j["params"] = s.cost.params;
  j["macs"] = s.cost.macs;
  j["runtime"] = costmodel::runtime_name(s.cost.runtime);  // what flash/ram_bytes are for
  j["flash_bytes"] = s.cost.flash_bytes;
  j["ram_bytes"] = s.cost.ram_bytes;
  if (s.cost.runtime == costmodel::Runtime::tinyscale) {
    j["tinyscale"] = tinyscale_json(s.cost.tinyscale, s.cost.tinyscale_core);
  }
  if (s.cost.tflm_known) {
    j["tflite_micro"] = tflm_json(s.cost.tflm, s.cost.tflm_code, s.cost.tflite_file_bytes,
                                  s.cost.tflm_kernels, s.cost.tinyscale_core);
  }
  j["latency_ms"] =
      s.latency_ms ? nlohmann::ordered_json(*s.latency_ms) : nlohmann::ordered_json(nullptr);
  j["utilization"] = {{"flash", s.utilization.flash}, {"ram", s.utilization.ram}};
  if (s.utilization.macs) j["utilization"]["macs"] = *s.utilization.macs;
  if (s.utilization.latency) j["utilization"]["latency"] = *s.utilization.latency;
  j["binding"] = s.binding;
  j["command"] = s.command;
}

BudgetOptions::BudgetOptions(CLI::App* app, bool board_required) {
  auto* board_option =
      app->add_option("--board", board, "Board name or alias (see `tinyscale boards`)");
  if (board_required) board_option->required();
  app->add_option("--boards-file", boards_file,
                  "Extra boards (JSON, same format as data/boards.json)");
  app->add_option("--arena-regions", arena_regions,
                  "single (default: the whole arena in the board's best RAM region) or auto "
                  "(activation buffers split over all the board's RAM regions)");
  if (board_required) return;
  app->add_option("--flash", flash, "FLASH budget for the model, e.g. 512K, 1MiB");
  app->add_option("--ram", ram, "RAM budget for the model, e.g. 128K");
  app->add_option("--macs", macs, "MAC budget, e.g. 20M");
  app->add_option("--latency", latency,
                  "Latency target, e.g. 50ms: a bound on the latency estimate");
  app->add_option("--core", core, "Core without --board: cortex-m0plus|m4|m7|m33|m55, xtensa-lx7");
  app->add_option("--mhz", mhz,
                  "Core clock without --board; with --board, a lower clock than the board's "
                  "rated one");
  app->add_option("--reserve-flash", reserve_flash,
                  "Override the board's FLASH reserve for the application");
  app->add_option("--reserve-ram", reserve_ram,
                  "Override the board's RAM reserve for the application");
}

scaling::Budgets BudgetOptions::resolve() const {
  scaling::Budgets b;
  if (!board.empty()) {
    if (!flash.empty() || !ram.empty())
      throw Error("give either --board or --flash/--ram, not both");
    const scaling::BoardDatabase db = load_boards(boards_file);
    std::optional<std::int64_t> rf, rr;
    if (!reserve_flash.empty()) rf = scaling::parse_size("--reserve-flash", reserve_flash);
    if (!reserve_ram.empty()) rr = scaling::parse_size("--reserve-ram", reserve_ram);
    const scaling::Board& found = db.find(board);
    b = scaling::budgets_for_board(found, rf, rr,
                                   arena_regions.empty()
                                       ? scaling::ArenaRegions::single
                                       : scaling::parse_arena_regions(arena_regions));
    if (!core.empty()) {
      throw Error("--core conflicts with --board " + found.name + " (its core is " + found.core +
                  "); use --core/--mhz without --board");
    }
    if (mhz) {
      // A board runs at any clock up to its rated one (lower for power): honoured, and the
      // report says so. Above the rated clock is not a configuration of this board.
      if (!(*mhz > 0.0) || !std::isfinite(*mhz)) throw Error("--mhz must be positive");
      if (*mhz > found.mhz) {
        throw Error("--mhz " + number_text(*mhz) + " exceeds the rated clock of board " +
                    found.name + " (" + number_text(found.mhz) +
                    " MHz); give a clock up to it, or describe the part in --boards-file");
      }
      b.mhz = *mhz;
    }
  } else {
    if (flash.empty() || ram.empty())
      throw Error("give --board NAME, or both --flash SIZE and --ram SIZE");
    if (!arena_regions.empty())
      throw Error("--arena-regions needs --board (an explicit --ram is one region)");
    if (!reserve_flash.empty() || !reserve_ram.empty())
      throw Error("--reserve-flash/--reserve-ram apply to --board only");
    b.flash_bytes = scaling::parse_size("--flash", flash);
    b.ram_bytes = scaling::parse_size("--ram", ram);
    if (!core.empty()) {
      costmodel::cycle_costs(core);  // validates the name
      b.core = core;
    }
    if (mhz) {
      if (!(*mhz > 0.0) || !std::isfinite(*mhz)) throw Error("--mhz must be positive");
      b.mhz = *mhz;
    }
    if (b.core.empty() != !mhz) throw Error("--core and --mhz go together (without --board)");
  }
  if (!macs.empty()) b.macs = scaling::parse_count("--macs", macs);
  if (!latency.empty()) {
    if (b.core.empty() || !(b.mhz > 0.0))
      throw Error("--latency needs --board, or --core and --mhz");
    b.latency_ms = scaling::parse_duration_ms("--latency", latency);
  }
  return b;
}

namespace {

struct SolveOptions {
  std::string family = "phinet";
  std::string input;
  std::optional<int> num_classes;
  std::optional<int> classes;        // yolo-*
  std::optional<std::string> heads;  // yolo-*
  std::string num_layers;
  std::string resolutions;
  std::string objective = "balanced";
  bool json = false;
  RuntimeOption runtime;
};

nlohmann::ordered_json solution_json(const scaling::Solution& s, const scaling::Budgets& b,
                                     const scaling::Objective& objective) {
  nlohmann::ordered_json j;
  add_solution_fields(s, j);
  j["macs_torchinfo"] = s.cost.macs_torchinfo;
  j["objective"] = scaling::objective_name(objective);
  j["objective_value"] = s.objective_value;
  j["budgets"] = {
      {"board",
       b.board.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(b.board)},
      {"flash_bytes", b.flash_bytes},
      {"ram_bytes", b.ram_bytes},
      {"macs", b.macs ? nlohmann::ordered_json(*b.macs) : nlohmann::ordered_json(nullptr)},
      {"latency_ms",
       b.latency_ms ? nlohmann::ordered_json(*b.latency_ms) : nlohmann::ordered_json(nullptr)},
      {"core", b.core},
      {"mhz", b.mhz},
      {"board_mhz",
       b.board.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(b.board_mhz)}};
  if (!b.ram_regions.empty()) {
    j["budgets"]["arena_regions"] =
        b.arena_regions == scaling::ArenaRegions::split ? "auto" : "single";
    j["ram_regions"] = region_use_json(b, s.cost.ram_region_bytes, s.cost.ram_fits);
  }
  j["evaluations"] = s.evaluations;
  j["distinct_networks"] = s.distinct_networks;
  j["solve_ms"] = s.solve_ms;
  return j;
}

void print_solution(const scaling::Solution& s, const scaling::Budgets& b,
                    const scaling::Objective& objective, const std::string& others) {
  const bool phinet = scaling::family_uses_t0(s.family);
  const bool yolo =
      s.family == scaling::Family::yolo_phinet || s.family == scaling::Family::yolo_xinet;
  const std::string name = std::string(yolo ? "YOLO-" : "") + (phinet ? "PhiNet" : "XiNet");
  std::printf("%s for %s (objective %s)\n\n", name.c_str(),
              b.board.empty() ? "the given budgets" : b.board.c_str(),
              scaling::objective_name(objective).c_str());
  std::printf("  alpha %.4g  beta %.4g  %s %.4g  num_layers %d  input %lldx%lldx%lld\n\n", s.alpha,
              s.beta, phinet ? "t0" : "gamma", phinet ? s.t0 : s.gamma, s.num_layers,
              static_cast<long long>(s.input[0]), static_cast<long long>(s.input[1]),
              static_cast<long long>(s.input[2]));
  std::printf("  %-8s %14s %14s %10s\n", "budget", "used", "available", "use");
  auto row = [&](const char* label, std::int64_t used, std::int64_t available, double u,
                 const char* key) {
    std::printf("  %-8s %14s %14s %10s%s\n", label, group_digits(used).c_str(),
                group_digits(available).c_str(), percent(u).c_str(),
                s.binding == key ? "   <- binding" : "");
  };
  row("FLASH B", s.cost.flash_bytes, b.flash_bytes, s.utilization.flash, "flash");
  row("RAM B", s.cost.ram_bytes, b.ram_bytes, s.utilization.ram, "ram");
  std::printf("  (FLASH and RAM for %s)\n", runtime_label(s.cost).c_str());
  if (!others.empty()) std::printf("  (other runtimes: %s)\n", others.c_str());
  const std::string note = code_table_note(b.core);
  if (!note.empty()) std::printf("  (note: %s)\n", note.c_str());
  if (b.macs) row("MACs", s.cost.macs, *b.macs, *s.utilization.macs, "macs");
  if (b.latency_ms && s.latency_ms) {
    char used[32], target[32];
    std::snprintf(used, sizeof used, "~%.1f ms", *s.latency_ms);
    std::snprintf(target, sizeof target, "%g ms", *b.latency_ms);
    std::printf("  %-8s %14s %14s %10s%s\n", "latency", used, target,
                percent(*s.utilization.latency).c_str(),
                s.binding == "latency" ? "   <- binding" : "");
  }
  if (!b.ram_regions.empty()) {
    std::printf("\n");
    print_region_use(b, s.cost.ram_region_bytes, s.cost.ram_fits);
  }
  std::printf("\n  params %s   MACs %s", group_digits(s.cost.params).c_str(),
              group_digits(s.cost.macs).c_str());
  if (s.latency_ms) {
    // Cortex-M4/M7/M33: tinyscale's generated code, by the per-op instruction model fitted
    // under QEMU; other cores: cycles-per-MAC estimates (costmodel/latency.h).
    std::printf("   latency ~%.1f ms (%s, %s @ %g MHz)", *s.latency_ms,
                costmodel::instruction_model(b.core) != nullptr
                    ? "generated code, per-op instruction model"
                    : "estimate",
                b.core.c_str(), b.mhz);
  }
  if (!b.board.empty() && b.mhz != b.board_mhz)
    std::printf("\n  clock %g MHz from --mhz (board %s is rated %g MHz)", b.mhz, b.board.c_str(),
                b.board_mhz);
  std::printf("\n\n  rebuild: %s\n", s.command.c_str());
  if (s.cost.patch.enabled()) {
    std::printf("  patches: %s\n           (run and deploy it with --patch %s)\n",
                patch_summary(s.cost).c_str(), core::patch_choice_text(s.cost.patch).c_str());
  }
  std::printf("  solved in %.0f ms (%d points, %d distinct networks costed exactly)\n", s.solve_ms,
              s.evaluations, s.distinct_networks);
}

}  // namespace

Command add_solve_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "solve", "Find the PhiNet/XiNet that fills a board's FLASH, RAM and compute");
  auto budgets = std::make_shared<BudgetOptions>(cmd, false);
  auto o = std::make_shared<SolveOptions>();
  cmd->add_option("--family", o->family, "phinet (default), xinet, yolo-phinet or yolo-xinet")
      ->check(CLI::IsMember({"phinet", "xinet", "yolo-phinet", "yolo-xinet"}));
  cmd->add_option("--input", o->input, "Input shape CxHxW, e.g. 3x96x96")->required();
  cmd->add_option("--num-classes", o->num_classes, "Add a classifier head with K classes");
  cmd->add_option("--classes", o->classes, "[yolo] Detection classes (default 80)");
  cmd->add_option("--heads", o->heads, "[yolo] Strides of the enabled heads (default 8,16,32)");
  cmd->add_option("--num-layers", o->num_layers,
                  "Depth N or range A..B (default: phinet 7, xinet 5, yolo-xinet 6)");
  cmd->add_option("--resolutions", o->resolutions,
                  "Also search these square input sizes, e.g. 96,128,160");
  cmd->add_option("--objective", o->objective,
                  "balanced (default), max-macs, max-params, weights:F,R,M");
  cmd->add_flag("--json", o->json, "Print the solution as JSON");
  o->runtime.add_to(cmd);
  return [o, budgets] {
    scaling::SolveRequest r;
    r.tflite_layout = export_layout;
    r.tflite_layout_moved = export_layout_moved;
    r.tflm_kernels = o->runtime.tflm_kernels();
    r.runtime = o->runtime.value();
    r.generated_code_size = deploy::generated_code_size;
    r.patch = o->runtime.patch_option();
    r.family = o->family == "xinet"         ? scaling::Family::xinet
               : o->family == "yolo-phinet" ? scaling::Family::yolo_phinet
               : o->family == "yolo-xinet"  ? scaling::Family::yolo_xinet
                                            : scaling::Family::phinet;
    const bool yolo = o->family.rfind("yolo-", 0) == 0;
    if (yolo) {
      if (o->num_classes) throw Error("--num-classes applies to phinet and xinet (use --classes)");
      if (o->classes) r.yolo_base.num_classes = *o->classes;
      if (o->heads) {
        r.yolo_base.heads = {false, false, false};
        for (const int stride : parse_int_list("--heads", *o->heads)) {
          if (stride != 8 && stride != 16 && stride != 32) {
            throw Error("--heads '" + *o->heads + "': " + std::to_string(stride) +
                        " is not a head stride; list some of 8, 16, 32");
          }
          r.yolo_base.heads[stride == 8 ? 0 : stride == 16 ? 1 : 2] = true;
        }
      }
    } else if (o->classes || o->heads) {
      throw Error(std::string(o->classes ? "--classes" : "--heads") +
                  " applies to yolo-phinet and yolo-xinet only");
    }
    r.input = parse_chw("--input", o->input);
    for (int side : parse_int_list("--resolutions", o->resolutions)) {
      if (side < 1) throw Error("--resolutions '" + o->resolutions + "' must list positive sizes");
      r.resolutions.push_back({r.input[0], side, side});
    }
    if (o->num_classes && *o->num_classes < 1) throw Error("--num-classes must be ≥ 1");
    r.num_classes = o->num_classes;
    const int default_depth = r.family == scaling::Family::xinet ? 5
                              : r.family == scaling::Family::yolo_xinet
                                  ? r.yolo_base.xinet.num_layers
                                  : 7;
    const LayerRange layers = parse_layer_range("--num-layers", o->num_layers, default_depth);
    r.num_layers_min = layers.min;
    r.num_layers_max = layers.max;
    r.objective = scaling::parse_objective(o->objective);
    r.budgets = budgets->resolve();
    o->runtime.check(&r.budgets);
    const scaling::Solution s = scaling::solve(r);
    // What the other runtimes would need for the solved network.
    costmodel::CostOptions options;
    o->runtime.apply(&options, r.budgets.core);
    options.per_layer = false;
    options.compare_greedy = false;
    const core::Graph solved = scaling::build_solution(s);
    if (o->json) {
      nlohmann::ordered_json j = solution_json(s, r.budgets, r.objective);
      j["other_runtimes"] = other_runtimes_json(solved, s.cost, options, true);
      if (r.patch.enabled()) j["patch"] = patch_json(s.cost, r.patch);
      std::cout << j.dump(2) << "\n";
    } else {
      print_solution(s, r.budgets, r.objective, other_runtimes(solved, s.cost, options, true));
    }
  };
}

Command add_boards_command(CLI::App& app) {
  CLI::App* cmd =
      app.add_subcommand("boards", "List the boards tinyscale knows (data/boards.json)");
  auto boards_file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--boards-file", *boards_file,
                  "Extra boards (JSON, same format as data/boards.json)");
  cmd->add_flag("--json", *json, "Print as JSON");
  return [boards_file, json] {
    const scaling::BoardDatabase db = load_boards(*boards_file);
    auto address_text = [](const scaling::RamRegion& r) {
      if (!r.address) return std::string();
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "0x%08llX", static_cast<unsigned long long>(*r.address));
      return std::string(buffer);
    };
    // What a model gets: one arena in the best region, or split over all of them.
    auto model_ram = [](const scaling::Board& b, scaling::ArenaRegions mode) {
      return scaling::budgets_for_board(b, std::nullopt, std::nullopt, mode).ram_bytes;
    };
    if (*json) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const scaling::Board& b : db.boards()) {
        nlohmann::ordered_json regions = nlohmann::ordered_json::array();
        for (const scaling::RamRegion& r : scaling::ram_regions_of(b)) {
          const std::string address = address_text(r);
          regions.push_back({{"name", r.name},
                             {"kind", r.kind},
                             {"address", address.empty() ? nlohmann::ordered_json(nullptr)
                                                         : nlohmann::ordered_json(address)},
                             {"size_bytes", r.size_bytes}});
        }
        list.push_back(
            {{"name", b.name},
             {"aliases", b.aliases},
             {"core", b.core},
             {"mhz", b.mhz},
             {"flash_bytes", b.flash_bytes},
             {"ram_bytes", b.ram_bytes},
             {"ram_regions", regions},
             {"reserve_flash_bytes", b.reserve_flash_bytes},
             {"reserve_ram_bytes", b.reserve_ram_bytes},
             {"reserve_ram_region", scaling::ram_regions_of(b)[scaling::reserve_region_of(b)].name},
             {"model_flash_bytes", b.flash_bytes - b.reserve_flash_bytes},
             {"model_ram_bytes", model_ram(b, scaling::ArenaRegions::single)},
             {"split_ram_bytes", model_ram(b, scaling::ArenaRegions::split)},
             {"notes", b.notes}});
      }
      std::cout << list.dump(2) << "\n";
      return;
    }
    std::printf("  %-30s %-13s %5s %9s %9s %12s %10s %10s\n", "board", "core", "MHz", "flash",
                "RAM", "model FLASH", "model RAM", "split RAM");
    for (const scaling::Board& b : db.boards()) {
      const bool regions = scaling::ram_regions_of(b).size() > 1;
      std::printf(
          "  %-30s %-13s %5g %9s %9s %12s %10s %10s\n", b.name.c_str(), b.core.c_str(), b.mhz,
          scaling::format_size(b.flash_bytes).c_str(), scaling::format_size(b.ram_bytes).c_str(),
          scaling::format_size(b.flash_bytes - b.reserve_flash_bytes).c_str(),
          scaling::format_size(model_ram(b, scaling::ArenaRegions::single)).c_str(),
          regions ? scaling::format_size(model_ram(b, scaling::ArenaRegions::split)).c_str() : "-");
    }
    std::printf("\n  RAM regions (* the region the application's RAM reserve is taken from):\n");
    std::size_t board_width = 0, region_width = 0;
    for (const scaling::Board& b : db.boards()) {
      board_width = std::max(board_width, b.name.size());
      for (const scaling::RamRegion& r : scaling::ram_regions_of(b))
        region_width = std::max(region_width, r.name.size() + 1);
    }
    for (const scaling::Board& b : db.boards()) {
      const std::vector<scaling::RamRegion> regions = scaling::ram_regions_of(b);
      const std::size_t reserve = scaling::reserve_region_of(b);
      for (std::size_t i = 0; i < regions.size(); ++i) {
        const std::string name = regions[i].name + (i == reserve ? "*" : "");
        std::printf("    %-*s  %-*s %-5s %9s  %s\n", static_cast<int>(board_width),
                    i == 0 ? b.name.c_str() : "", static_cast<int>(region_width), name.c_str(),
                    regions[i].kind.c_str(), scaling::format_size(regions[i].size_bytes).c_str(),
                    address_text(regions[i]).c_str());
      }
    }
    std::printf(
        "\n  model FLASH = flash less the application's reserve. model RAM = the best single "
        "region, less\n"
        "  the reserve where it is taken from: an arena is one contiguous block. split RAM = "
        "every region\n"
        "  less the reserve, for --arena-regions auto (activation buffers spread over the "
        "regions).\n"
        "  Override the reserves with --reserve-flash / --reserve-ram; extend the list with "
        "--boards-file FILE.\n");
  };
}

}  // namespace tinyscale::cli
