// Where a model's RAM will live: the --board, --boards-file and --arena-regions options of
// `net`, `info` and `run`, and the report of how a model uses each of the board's memory
// regions (also printed by `solve`).
//
// Without --arena-regions (or with `single`) the whole RAM must fit the board's best single
// region; with `auto` the activation buffers are split over all its regions by the engine's
// planner (engine/region_planner.h), the same placement `solve` costs and `run` allocates.
//
// Usage:
//   RegionOptions regions;
//   regions.add_to(cmd);
//   ...
//   if (const auto budgets = regions.budgets()) {
//     const std::vector<std::int64_t> capacities = scaling::region_capacities(*budgets);
//     // cost or compile with the capacities, then:
//     print_region_use(*budgets, report.ram_region_bytes, report.ram_fits);
//   }
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "scaling/boards.h"
#include "scaling/budgets.h"

namespace tinyscale::cli {

// The built-in boards, merged with `boards_file` when one is given.
scaling::BoardDatabase load_boards(const std::string& boards_file);

struct RegionOptions {
  std::string board, boards_file, arena_regions;

  void add_to(CLI::App* app);
  // The board's budgets (default reserves), or nullopt without --board. Throws
  // tinyscale::Error for --boards-file or --arena-regions without --board.
  std::optional<scaling::Budgets> budgets() const;
  // The options as given, to hand to another command (`info phinet ...` runs `net`).
  std::vector<std::string> arguments() const;
};

// `region_bytes` (and `fits`) as the cost model or the engine report them for the
// capacities scaling::region_capacities(budgets) gave: one per region when split, else one
// for the region the single arena goes to.
void print_region_use(const scaling::Budgets& budgets, std::span<const std::int64_t> region_bytes,
                      bool fits);
// {"board", "arena_regions": "single"|"auto", "fits", "regions": [{name, kind, size_bytes,
// reserve_bytes, available_bytes, used_bytes}]}
nlohmann::ordered_json region_use_json(const scaling::Budgets& budgets,
                                       std::span<const std::int64_t> region_bytes, bool fits);

}  // namespace tinyscale::cli
