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
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scaling/boards.h"

namespace tinyscale::scaling {

// Each throws tinyscale::Error "<option> '<text>' is not a size: ..." for negative,
// unparsable ("512Q") or overflowing input.
std::int64_t parse_size(const std::string& option, const std::string& text);
std::int64_t parse_count(const std::string& option, const std::string& text);
double parse_duration_ms(const std::string& option, const std::string& text);
// "1 MiB", "320 KiB", "1.4 MiB", "1000 B": for reports.
std::string format_size(std::int64_t bytes);

struct Budgets {
  std::int64_t flash_bytes = 0;  // for the model, after the application's reserve
  std::int64_t ram_bytes = 0;
  std::optional<std::int64_t> macs;  // a plain MAC budget
  // A bound on the latency estimate (costmodel/latency.h) at `core` and `mhz`.
  std::optional<double> latency_ms;
  std::string core;        // for latency estimates; may be empty
  double mhz = 0.0;        // the clock of the estimate: the board's, or an override below it
  double board_mhz = 0.0;  // the board's rated clock, when budgets came from a board
  std::string board;       // board name when budgets came from one
};

// The board's memory minus its reserves (or the given overrides of the reserves).
Budgets budgets_for_board(const Board& board, std::optional<std::int64_t> reserve_flash_bytes = {},
                          std::optional<std::int64_t> reserve_ram_bytes = {});

}  // namespace tinyscale::scaling
