// `tinyscale sweep`: the network that fills each of many boards, or the Pareto front of
// MACs against RAM at one FLASH budget; as a table, JSON, CSV and (front) SVG.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output_paths.h"
#include "cli/progress.h"
#include "cli/runtime_option.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/patch.h"
#include "deploy/codegen.h"
#include "export/tflite_writer.h"
#include "scaling/boards.h"
#include "scaling/budgets.h"
#include "scaling/solver.h"
#include "scaling/sweep.h"

namespace tinyscale::cli {
namespace {

struct SweepOptions {
  std::string input;
  std::optional<int> num_classes;
  std::string num_layers;
  bool json = false;
  bool quiet = false;
  std::string csv;
  // board sweep
  std::string boards, families, boards_file, objective;
  // --pareto
  bool pareto = false;
  std::string flash, ram_range, family, svg;
  std::optional<int> points;
  RuntimeOption runtime;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    const std::size_t first = item.find_first_not_of(" \t");
    item = first == std::string::npos
               ? ""
               : item.substr(first, item.find_last_not_of(" \t") + 1 - first);
    items.push_back(item);
    start = end + 1;
  }
  return items;
}

scaling::Family parse_family(const std::string& option, const std::string& text) {
  if (text == "phinet") return scaling::Family::phinet;
  if (text == "xinet") return scaling::Family::xinet;
  throw Error(option + ": unknown family '" + text + "' (known: phinet, xinet)");
}

int default_depth(scaling::Family family) { return family == scaling::Family::phinet ? 7 : 5; }

std::string percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %%", 100.0 * fraction);
  return buffer;
}

std::string shape_text(const scaling::Solution& s) {
  char buffer[96];
  if (s.family == scaling::Family::phinet) {
    std::snprintf(buffer, sizeof buffer, "%8.4g %6.4g %8.4g", s.alpha, s.beta, s.t0);
  } else {
    std::snprintf(buffer, sizeof buffer, "%8.4g %6.4g %8d", s.alpha, s.beta, s.gamma);
  }
  return buffer;
}

void write_output(const std::string& path, const std::string& contents, const char* what,
                  bool quiet) {
  core::write_file_atomically(path, contents);
  if (!quiet) std::printf("  wrote %s (%s)\n", path.c_str(), what);
}

// Fails before minutes of solving when an output file cannot be created or would replace
// the boards file; the write itself still checks every step.
void check_outputs(const SweepOptions& o) {
  check_output_paths({{"--boards-file", o.boards_file}},
                     {{.option = "--csv", .path = o.csv, .extensions = {".csv"}, .kind = "CSV"},
                      {.option = "--svg", .path = o.svg, .extensions = {".svg"}, .kind = "SVG"}});
}

scaling::SolveRequest base_request(const SweepOptions& o, scaling::Family family) {
  scaling::SolveRequest r;
  r.tflite_layout = export_layout;
  r.tflm_kernels = o.runtime.tflm_kernels();
  r.runtime = o.runtime.value();
  r.generated_code_size = deploy::generated_code_size;
  r.patch = o.runtime.patch_option();
  r.family = family;
  r.input = parse_chw("--input", o.input);
  if (o.num_classes && *o.num_classes < 1) throw Error("--num-classes must be ≥ 1");
  r.num_classes = o.num_classes;
  const LayerRange layers = parse_layer_range("--num-layers", o.num_layers, default_depth(family));
  r.num_layers_min = layers.min;
  r.num_layers_max = layers.max;
  return r;
}

void run_board_sweep(const SweepOptions& o) {
  std::vector<scaling::Family> families;
  for (const std::string& name : split_list(o.families.empty() ? "phinet,xinet" : o.families)) {
    families.push_back(parse_family("--families", name));
  }
  std::vector<std::string> board_names;
  if (!o.boards.empty()) {
    for (const std::string& name : split_list(o.boards)) {
      if (name.empty()) throw Error("--boards '" + o.boards + "' has an empty board name");
      board_names.push_back(name);
    }
  }
  scaling::BoardDatabase db = scaling::BoardDatabase::builtin();
  if (!o.boards_file.empty()) db.merge(scaling::BoardDatabase::from_file(o.boards_file));
  for (const std::string& name : board_names) {  // fail before any solving
    try {
      db.find(name);
    } catch (const Error& e) {
      throw Error(std::string("--boards: ") + e.what());
    }
  }
  check_outputs(o);
  const scaling::Objective objective =
      scaling::parse_objective(o.objective.empty() ? "balanced" : o.objective);

  // PhiNet and XiNet have different default depths, so each family gets its own base
  // request; the per-family results are then interleaved back into board order.
  std::vector<std::vector<scaling::SweepRow>> per_family;
  std::optional<Progress> progress;
  int solved = 0;  // by the families before this one
  for (scaling::Family family : families) {
    scaling::SolveRequest base = base_request(o, family);
    base.objective = objective;
    per_family.push_back(scaling::sweep_boards(
        db, board_names, {family}, base, [&](int done, int total, const std::string& step) {
          if (!progress) {
            progress.emplace("sweep", static_cast<long long>(total) * families.size(), o.quiet);
          }
          progress->update(solved + done, step);
        }));
    solved += static_cast<int>(per_family.back().size());
  }
  std::vector<scaling::SweepRow> rows;
  for (std::size_t i = 0; i < per_family.front().size(); ++i) {
    for (auto& family_rows : per_family) rows.push_back(std::move(family_rows[i]));
  }

  if (o.json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const scaling::SweepRow& row : rows) {
      nlohmann::ordered_json j;
      j["board"] = row.board;
      if (row.solution) {
        add_solution_fields(*row.solution, j);
        if (o.runtime.patch_option().enabled()) {
          j["patch"] = core::patch_choice_text(row.solution->cost.patch);  // "k,n" or "off"
        }
        j["error"] = nullptr;
      } else {
        j["family"] = scaling::family_name(row.family);
        j["error"] = row.error;
      }
      list.push_back(j);
    }
    std::cout << list.dump(2) << "\n";
  } else {
    int width = 5;
    for (const scaling::SweepRow& row : rows)
      width = std::max(width, static_cast<int>(row.board.size()));
    const bool patches = o.runtime.patch_option().enabled();
    std::printf("Sweep: input %s, objective %s, FLASH and RAM for %s\n\n", o.input.c_str(),
                scaling::objective_name(objective).c_str(), o.runtime.describe().c_str());
    std::printf("  %-*s %-7s %8s %6s %8s %10s %13s %8s %8s  %s\n", width, "board", "family",
                "alpha", "beta", "t0/gamma", "params", "MACs", "FLASH", "RAM", "binding");
    for (const scaling::SweepRow& row : rows) {
      std::printf("  %-*s %-7s ", width, row.board.c_str(), scaling::family_name(row.family));
      if (!row.solution) {
        std::printf("%s\n", row.error.c_str());
        continue;
      }
      const scaling::Solution& s = *row.solution;
      std::printf("%s %10s %13s %8s %8s  %s%s\n", shape_text(s).c_str(),
                  group_digits(s.cost.params).c_str(), group_digits(s.cost.macs).c_str(),
                  percent(s.utilization.flash).c_str(), percent(s.utilization.ram).c_str(),
                  s.binding.c_str(),
                  patches ? ("  --patch " + core::patch_choice_text(s.cost.patch)).c_str() : "");
    }
    std::printf("\n");
  }
  if (!o.csv.empty()) {
    write_output(o.csv, scaling::sweep_csv(rows), (std::to_string(rows.size()) + " rows").c_str(),
                 o.json);
  }
  // The rows (and the CSV) say why each board failed; a script still needs a failing exit.
  const bool any_solved = std::any_of(rows.begin(), rows.end(),
                                      [](const scaling::SweepRow& row) { return row.solution; });
  if (!any_solved) {
    throw Error("no network fits any board of the sweep (" + std::to_string(rows.size()) +
                (rows.size() == 1 ? " row" : " rows") + ", reasons above)");
  }
}

void run_pareto(const SweepOptions& o, const CLI::App& cmd) {
  for (const char* option : {"--boards", "--families", "--boards-file", "--objective"}) {
    if (cmd.count(option)) {
      throw Error(std::string(option) +
                  " applies to the board sweep, not to --pareto (which maximizes MACs)");
    }
  }
  if (o.flash.empty()) throw Error("--pareto needs --flash SIZE (the FLASH budget), e.g. 512K");
  if (o.ram_range.empty()) throw Error("--pareto needs --ram-range MIN..MAX, e.g. 64K..512K");
  const scaling::Family family = parse_family("--family", o.family.empty() ? "phinet" : o.family);
  scaling::SolveRequest base = base_request(o, family);
  base.budgets.flash_bytes = scaling::parse_size("--flash", o.flash);
  if (base.budgets.flash_bytes <= 0) throw Error("--flash must be positive");
  const std::size_t dots = o.ram_range.find("..");
  if (dots == std::string::npos) {
    throw Error("--ram-range '" + o.ram_range + "' is not a range MIN..MAX, e.g. 64K..512K");
  }
  const std::int64_t ram_min = scaling::parse_size("--ram-range", o.ram_range.substr(0, dots));
  const std::int64_t ram_max = scaling::parse_size("--ram-range", o.ram_range.substr(dots + 2));
  if (ram_min <= 0 || ram_min > ram_max) {
    throw Error("--ram-range '" + o.ram_range + "' must have 0 < MIN ≤ MAX");
  }
  const int points = o.points.value_or(12);
  if (points < 2) throw Error("--points must be at least 2, found " + std::to_string(points));
  check_outputs(o);

  std::optional<Progress> progress;
  const std::vector<scaling::ParetoPoint> front = scaling::pareto_front(
      base, ram_min, ram_max, points, [&](int done, int total, const std::string& step) {
        if (!progress) progress.emplace("pareto front", total, o.quiet);
        progress->update(done, step);
      });
  const char* name = family == scaling::Family::phinet ? "PhiNet" : "XiNet";
  const std::string flash_text = scaling::format_size(base.budgets.flash_bytes);
  if (front.empty()) {
    throw Error(std::string("no ") + name + " for input " + o.input + " fits FLASH " + flash_text +
                " with any RAM budget of " + o.ram_range);
  }
  const std::string title = std::string(name) + " Pareto front: MACs vs RAM at FLASH " +
                            flash_text + ", input " + o.input;
  if (o.json) {
    nlohmann::ordered_json j;
    j["family"] = scaling::family_name(family);
    j["runtime"] = o.runtime.runtime;
    j["flash_budget_bytes"] = base.budgets.flash_bytes;
    j["ram_min_bytes"] = ram_min;
    j["ram_max_bytes"] = ram_max;
    j["points"] = points;
    j["front"] = nlohmann::ordered_json::array();
    for (const scaling::ParetoPoint& p : front) {
      nlohmann::ordered_json point;
      point["ram_budget_bytes"] = p.ram_budget;
      add_solution_fields(p.solution, point);
      j["front"].push_back(point);
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf("%s\n  %d RAM budgets from %s to %s, %zu on the front (FLASH and RAM for %s)\n\n",
                title.c_str(), points, scaling::format_size(ram_min).c_str(),
                scaling::format_size(ram_max).c_str(), front.size(), o.runtime.describe().c_str());
    std::printf("  %10s %10s %13s %10s %8s %6s %8s %6s %10s\n", "RAM budget", "RAM used", "MACs",
                "FLASH", "alpha", "beta", "t0/gamma", "layers", "params");
    for (const scaling::ParetoPoint& p : front) {
      const scaling::Solution& s = p.solution;
      std::printf("  %10s %10s %13s %10s %s %6d %10s\n", scaling::format_size(p.ram_budget).c_str(),
                  scaling::format_size(s.cost.ram_bytes).c_str(), group_digits(s.cost.macs).c_str(),
                  scaling::format_size(s.cost.flash_bytes).c_str(), shape_text(s).c_str(),
                  s.num_layers, group_digits(s.cost.params).c_str());
    }
    std::printf("\n");
  }
  if (!o.csv.empty()) {
    write_output(o.csv, scaling::pareto_csv(front),
                 (std::to_string(front.size()) + " points").c_str(), o.json);
  }
  if (!o.svg.empty()) write_output(o.svg, scaling::pareto_svg(front, title), "plot", o.json);
}

}  // namespace

Command add_sweep_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Solve many boards at once, or trace the MACs-vs-RAM Pareto front (--pareto)");
  auto o = std::make_shared<SweepOptions>();
  cmd->add_option("--input", o->input, "Input shape CxHxW, e.g. 3x96x96")->required();
  cmd->add_option("--num-classes", o->num_classes, "Add a classifier head with K classes");
  cmd->add_option("--num-layers", o->num_layers,
                  "Depth N or range A..B (default: phinet 7, xinet 5)");
  cmd->add_option("--csv", o->csv, "Also write the rows (or the front) as CSV to this file");
  cmd->add_flag("--json", o->json, "Print as JSON");
  o->runtime.add_to(cmd);
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr");
  cmd->add_option("--boards", o->boards, "Boards to solve, e.g. pico,h743 (default: all)");
  cmd->add_option("--families", o->families, "Families to solve (default: phinet,xinet)");
  cmd->add_option("--boards-file", o->boards_file,
                  "Extra boards (JSON, same format as data/boards.json)");
  cmd->add_option("--objective", o->objective,
                  "balanced (default), max-macs, max-params, weights:F,R,M");
  cmd->add_flag("--pareto", o->pareto,
                "Trace the Pareto front of MACs vs RAM at one FLASH budget instead");
  cmd->add_option("--flash", o->flash, "--pareto: the FLASH budget, e.g. 512K");
  cmd->add_option("--ram-range", o->ram_range, "--pareto: RAM budgets MIN..MAX, e.g. 64K..512K");
  cmd->add_option("--points", o->points, "--pareto: number of RAM budgets (default 12)");
  cmd->add_option("--family", o->family, "--pareto: phinet (default) or xinet");
  cmd->add_option("--svg", o->svg, "--pareto: also plot the front as SVG to this file");
  return [o, cmd] {
    o->runtime.check(nullptr);
    if (o->pareto) {
      run_pareto(*o, *cmd);
      return;
    }
    for (const char* option : {"--flash", "--ram-range", "--points", "--family", "--svg"}) {
      if (cmd->count(option)) throw Error(std::string(option) + " needs --pareto");
    }
    run_board_sweep(*o);
  };
}

}  // namespace tinyscale::cli
