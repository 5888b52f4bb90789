// Sweeps over the solver: one solution per board × family, and the Pareto front of MACs
// against RAM at a fixed FLASH budget; with their reports (CSV, SVG) and the atomic file
// write every report goes through.
//
// sweep_boards solves every requested board with every family, each with the board's own
// budgets (memory minus the application's reserves, core and clock for latency); a board
// nothing fits on becomes a row carrying the solver's InfeasibleError message, and the
// sweep goes on. Rows come board by board, families in the order given.
//
// pareto_front asks, for RAM budgets spaced geometrically from ram_min to ram_max, for the
// network with the most MACs that fits the base request's FLASH budget and that RAM budget.
// The answers are filtered to the non-dominated ones (no other point uses no more RAM and
// gives no fewer MACs, one of the two strictly) and sorted by the RAM they use, so along
// the front both RAM used and MACs strictly increase. Budgets nothing fits are skipped;
// two budgets that give the same network keep the smaller budget.
//
// Usage:
//   scaling::SolveRequest base;
//   base.input = {3, 96, 96};
//   auto rows = scaling::sweep_boards(db, {"NUCLEO-H743ZI2", "pico"},
//                                     {scaling::Family::phinet}, base);
//   core::write_file_atomically("sweep.csv", scaling::sweep_csv(rows));
//
//   base.budgets.flash_bytes = 512 * 1024;
//   auto front = scaling::pareto_front(base, 64 * 1024, 512 * 1024, 12);
//   core::write_file_atomically("front.svg", scaling::pareto_svg(front, "PhiNet, 512 KiB"));
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scaling/boards.h"
#include "scaling/solver.h"

namespace tinyscale::scaling {

// Called after each solve (for a progress report; the library prints nothing): solves done,
// solves in all, and what was just solved ("NUCLEO-H743ZI2 phinet", "RAM 64 KiB").
using SweepProgress = std::function<void(int done, int total, const std::string& step)>;

struct SweepRow {
  std::string board;  // the board's name as the database spells it
  Family family = Family::phinet;
  std::optional<Solution> solution;  // empty when nothing fits
  std::string error;                 // the InfeasibleError message, when nothing fits
};

// board_names empty: every board of the database, in its order. The budgets of `base` are
// ignored (each board's are used); everything else (input, depth, head, objective, search
// box) applies to every solve. Throws tinyscale::Error for an unknown board name before
// solving anything; only InfeasibleError is turned into an error row.
std::vector<SweepRow> sweep_boards(const BoardDatabase& db,
                                   const std::vector<std::string>& board_names,
                                   const std::vector<Family>& families, const SolveRequest& base,
                                   const SweepProgress& progress = {});

struct ParetoPoint {
  std::int64_t ram_budget = 0;  // the RAM budget this point was solved under
  Solution solution;
};

// base.budgets.flash_bytes is the FLASH budget; its RAM and MAC budgets and objective are
// replaced. Throws tinyscale::Error unless 0 < ram_min ≤ ram_max and points ≥ 2.
std::vector<ParetoPoint> pareto_front(const SolveRequest& base, std::int64_t ram_min,
                                      std::int64_t ram_max, int points,
                                      const SweepProgress& progress = {});

// RFC 4180: a header line, then one line per entry, CRLF-free ("\n" line ends); fields
// holding a comma, quote or line break are quoted with inner quotes doubled.
std::string sweep_csv(const std::vector<SweepRow>& rows);
std::string pareto_csv(const std::vector<ParetoPoint>& front);
// One field, quoted when it has to be.
std::string csv_field(const std::string& text);

// Text made safe for SVG/XML content and attribute values (& < > " ' escaped); the Pareto plot
// and the CLI's memory picture use it.
std::string xml_escape(const std::string& text);

// A self-contained SVG plot of the front: RAM used (KiB) against MACs (millions), grid,
// tick labels, the front as a polyline with one circle marker per point (a <title> tooltip
// on each), axis titles and `title` (escaped). An empty front gives the axes and a note.
std::string pareto_svg(const std::vector<ParetoPoint>& front, const std::string& title);

}  // namespace tinyscale::scaling
