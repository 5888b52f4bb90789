#include "cli/board_regions.h"

#include <algorithm>
#include <cstdio>

#include "cli/options.h"
#include "core/error.h"

namespace tinyscale::cli {
namespace {

// The bytes used in each of the board's regions (zero where the model has nothing).
std::vector<std::int64_t> used_per_region(const scaling::Budgets& b,
                                          std::span<const std::int64_t> region_bytes) {
  std::vector<std::int64_t> used(b.ram_regions.size(), 0);
  if (b.arena_regions == scaling::ArenaRegions::split) {
    for (std::size_t r = 0; r < used.size() && r < region_bytes.size(); ++r)
      used[r] = region_bytes[r];
  } else if (!region_bytes.empty() && b.ram_region >= 0) {
    used[static_cast<std::size_t>(b.ram_region)] = region_bytes[0];
  }
  return used;
}

const char* mode_name(scaling::ArenaRegions mode) {
  return mode == scaling::ArenaRegions::split ? "auto" : "single";
}

}  // namespace

scaling::BoardDatabase load_boards(const std::string& boards_file) {
  scaling::BoardDatabase db = scaling::BoardDatabase::builtin();
  if (!boards_file.empty()) db.merge(scaling::BoardDatabase::from_file(boards_file));
  return db;
}

void RegionOptions::add_to(CLI::App* app) {
  app->add_option("--board", board,
                  "Check the model's RAM against this board's memory regions (see `tinyscale "
                  "boards`)");
  app->add_option("--boards-file", boards_file,
                  "Extra boards (JSON, same format as data/boards.json)");
  app->add_option("--arena-regions", arena_regions,
                  "With --board: single (default; the whole arena in the board's best region) "
                  "or auto (activation buffers split over all its RAM regions)");
}

std::optional<scaling::Budgets> RegionOptions::budgets() const {
  if (board.empty()) {
    if (!arena_regions.empty()) throw Error("--arena-regions needs --board (the board's regions)");
    if (!boards_file.empty()) throw Error("--boards-file needs --board");
    return std::nullopt;
  }
  const scaling::ArenaRegions mode = arena_regions.empty()
                                         ? scaling::ArenaRegions::single
                                         : scaling::parse_arena_regions(arena_regions);
  const scaling::BoardDatabase db = load_boards(boards_file);
  return scaling::budgets_for_board(db.find(board), std::nullopt, std::nullopt, mode);
}

std::vector<std::string> RegionOptions::arguments() const {
  std::vector<std::string> args;
  if (!board.empty()) args.insert(args.end(), {"--board", board});
  if (!boards_file.empty()) args.insert(args.end(), {"--boards-file", boards_file});
  if (!arena_regions.empty()) args.insert(args.end(), {"--arena-regions", arena_regions});
  return args;
}

void print_region_use(const scaling::Budgets& b, std::span<const std::int64_t> region_bytes,
                      bool fits) {
  if (b.ram_regions.empty()) return;
  const std::vector<std::int64_t> used = used_per_region(b, region_bytes);
  const bool split = b.arena_regions == scaling::ArenaRegions::split;
  std::string over;
  for (std::size_t r = 0; r < used.size(); ++r) {
    if (used[r] > b.ram_regions[r].model_bytes()) {
      over += (over.empty() ? "" : ", ") + b.ram_regions[r].name + " by " +
              group_digits(used[r] - b.ram_regions[r].model_bytes()) + " B";
    }
  }
  const std::string verdict = fits ? "fits"
                              : over.empty()
                                  ? "DOES NOT FIT (no split of its buffers fits the regions)"
                                  : "DOES NOT FIT (over in " + over + ")";
  if (!split) {
    const scaling::RamRegionBudget& home = b.ram_regions[static_cast<std::size_t>(b.ram_region)];
    const std::string reserve =
        home.reserve_bytes > 0
            ? " after the " + scaling::format_size(home.reserve_bytes) + " reserve"
            : "";
    std::printf("  RAM on %s: one arena in %s (%s B%s): %s B, %s\n", b.board.c_str(),
                home.name.c_str(), group_digits(home.model_bytes()).c_str(), reserve.c_str(),
                group_digits(used[static_cast<std::size_t>(b.ram_region)]).c_str(),
                verdict.c_str());
    if (b.ram_regions.size() > 1) {
      std::string others;
      for (std::size_t r = 0; r < b.ram_regions.size(); ++r) {
        if (static_cast<int>(r) != b.ram_region)
          others += (others.empty() ? "" : ", ") + b.ram_regions[r].name;
      }
      std::printf("  (--arena-regions auto may also place activations in %s)\n", others.c_str());
    }
    return;
  }
  std::printf("  RAM on %s, activations split over its regions (--arena-regions auto): %s\n",
              b.board.c_str(), verdict.c_str());
  std::size_t width = 6;
  for (const scaling::RamRegionBudget& r : b.ram_regions) width = std::max(width, r.name.size());
  std::printf("    %-*s %-6s %12s %12s\n", static_cast<int>(width), "region", "kind", "available",
              "used");
  for (std::size_t r = 0; r < used.size(); ++r) {
    std::printf("    %-*s %-6s %12s %12s\n", static_cast<int>(width), b.ram_regions[r].name.c_str(),
                b.ram_regions[r].kind.c_str(), group_digits(b.ram_regions[r].model_bytes()).c_str(),
                group_digits(used[r]).c_str());
  }
  std::printf(
      "    (available: the region less the application's reserve; the kernel state and "
      "runtime structures\n     are counted in the region with the most room)\n");
}

nlohmann::ordered_json region_use_json(const scaling::Budgets& b,
                                       std::span<const std::int64_t> region_bytes, bool fits) {
  const std::vector<std::int64_t> used = used_per_region(b, region_bytes);
  nlohmann::ordered_json regions = nlohmann::ordered_json::array();
  for (std::size_t r = 0; r < b.ram_regions.size(); ++r) {
    const scaling::RamRegionBudget& region = b.ram_regions[r];
    regions.push_back({{"name", region.name},
                       {"kind", region.kind},
                       {"size_bytes", region.size_bytes},
                       {"reserve_bytes", region.reserve_bytes},
                       {"available_bytes", region.model_bytes()},
                       {"used_bytes", used[r]}});
  }
  nlohmann::ordered_json j;
  j["board"] = b.board;
  j["arena_regions"] = mode_name(b.arena_regions);
  j["fits"] = fits;
  j["regions"] = std::move(regions);
  return j;
}

}  // namespace tinyscale::cli
