// Budgets: how much FLASH, RAM and compute a model may use, from a board or from explicit
// figures, and the CLI syntax for them.
//
// Sizes in bytes accept binary suffixes as embedded datasheets use them: K, KB, KiB = 1024;
// M, MB, MiB = 1024²; G, GiB = 1024³; and decimal kB = 1000 (case of the k matters only
// there). Counts (MACs) accept K = 10³, M = 10⁶, G = 10⁹. Durations accept ms, s, us.
//
// Usage:
//   std::int64_t flash = scaling::parse_size("--flash", "512K");     // 524288
//   std::int64_t macs = scaling::parse_count("--macs", "20M");       // 20000000
//   double ms = scaling::parse_duration_ms("--latency", "50ms");     // 50
//   scaling::Budgets b = scaling::budgets_for_board(db.find("h743"));  // b.ram_bytes: 448 KiB
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scaling/boards.h"

namespace tinyscale::scaling {

// Each throws tinyscale::Error "<option> '<text>' is not a size: ..." for negative,
// unparsable ("512Q") or overflowing input.
std::int64_t parse_size(const std::string& option, const std::string& text);
std::int64_t parse_count(const std::string& option, const std::string& text);
double parse_duration_ms(const std::string& option, const std::string& text);
// "1 MiB", "320 KiB", "1.4 MiB", "1000 B": for reports.
std::string format_size(std::int64_t bytes);

// One of a board's RAM regions as a budget: what the application's reserve leaves of it.
struct RamRegionBudget {
  std::string name;                // "AXI SRAM"
  std::string kind;                // dtcm, axi, sram, ...
  std::int64_t size_bytes = 0;     // the region
  std::int64_t reserve_bytes = 0;  // of the application's RAM reserve, taken from this region
  std::int64_t model_bytes() const { return size_bytes - reserve_bytes; }
};

// How the model's RAM may use a board's regions.
enum class ArenaRegions {
  single,  // the whole arena in one region (default: an arena is one contiguous block)
  split,   // `--arena-regions auto`: activation buffers spread over every region
};

struct Budgets {
  std::int64_t flash_bytes = 0;  // for the model, after the application's reserve
  // The RAM the model may use (arena, kernel state, runtime structures). One region: the
  // model bytes of ram_regions[ram_region], the largest. Split: the sum of every region's
  // model bytes, and the placement must fit each region (region_capacities).
  std::int64_t ram_bytes = 0;
  std::vector<RamRegionBudget> ram_regions;  // the board's; empty for an explicit --ram
  int ram_region = -1;                       // the region a single arena goes to
  ArenaRegions arena_regions = ArenaRegions::single;
  std::optional<std::int64_t> macs;  // a plain MAC budget
  // A bound on the latency estimate (costmodel/latency.h) at `core` and `mhz`.
  std::optional<double> latency_ms;
  std::string core;        // for latency estimates; may be empty
  double mhz = 0.0;        // the clock of the estimate: the board's, or an override below it
  double board_mhz = 0.0;  // the board's rated clock, when budgets came from a board
  std::string board;       // board name when budgets came from one
};

// The board's memory minus its reserves (or the given overrides of the reserves). The RAM
// reserve comes out of the board's reserve region (Board::reserve_ram_region, default the
// largest). RAM for one arena is the best single region: the largest of (region size, less
// the reserve where it is taken from), so on an STM32H743 (AXI SRAM 512 KiB holding the
// 64 KiB reserve, SRAM1-3 288 KiB, DTCM 128 KiB, SRAM4 64 KiB) 448 KiB. Split, it is the sum
// (928 KiB there). Throws tinyscale::Error when a reserve is negative or leaves nothing of
// its memory or region.
Budgets budgets_for_board(const Board& board, std::optional<std::int64_t> reserve_flash_bytes = {},
                          std::optional<std::int64_t> reserve_ram_bytes = {},
                          ArenaRegions arena_regions = ArenaRegions::single);

// The room of every region for the model when its buffers may be split
// (costmodel::CostOptions::ram_region_capacities, engine::CompileOptions::region_capacities);
// with one arena, the one region it goes to (or ram_bytes for an explicit budget).
std::vector<std::int64_t> region_capacities(const Budgets& budgets);
// "auto" → split, "single" → single; throws tinyscale::Error naming --arena-regions.
ArenaRegions parse_arena_regions(const std::string& text);

}  // namespace tinyscale::scaling
