// Choosing where patch-based execution (core/patch.h) pays: the stage length k and the n×n
// grid that give the smallest arena for at most a given share of extra MACs.
//
// Every stage the graph allows is tried with n = 2..8 (n no larger than the stage output's
// height and width), the longest stage first, except those that cannot beat the best found
// (a patched plan holds the stage's input and output at once): the patched graph is
// built, its MACs counted, and, when the recomputed
// halos stay within max_extra_macs of the plain graph's MACs, its arena planned with
// engine::plan_arena and `arena`'s options. The choice is the smallest RAM (the peak, plus
// `fixed_bytes` of the patched graph when given: the engine's kernel state and runtime
// structures grow with every node a patch repeats), then the fewest extra MACs, then the
// fewest patches; patches are off when nothing beats the plain plan.
// Exact, not estimated: the peak compared is the plan the patched graph will run with.
//
// Usage:
//   costmodel::PatchSearchResult s = costmodel::choose_patches(deployed, {});
//   if (s.best.enabled()) core::PatchedGraph p = core::apply_patches(deployed, s.best);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/patch.h"
#include "engine/liveness.h"

namespace tinyscale::costmodel {

// What --patch and --max-extra-macs ask for.
struct PatchOption {
  enum class Mode { off, automatic, fixed };
  Mode mode = Mode::off;
  core::PatchChoice fixed;      // with Mode::fixed
  double max_extra_macs = 0.2;  // with Mode::automatic: share of the plain graph's MACs
  bool enabled() const { return mode != Mode::off; }
};

// "off", "auto" or "k,n"; throws tinyscale::Error naming the text when it is none of them (k
// from 1, n from 2 to 64).
PatchOption parse_patch_option(const std::string& text);
// "20%" or "0.2" (a share from 0 to 10, i.e. up to 1000%); throws tinyscale::Error.
double parse_extra_macs(const std::string& text);
std::string patch_option_text(const PatchOption& option);

// RAM a graph needs besides its arena (e.g. the engine's kernel state), or null: none.
using FixedBytesFunction = std::int64_t (*)(const core::Graph& graph);

struct PatchCandidate {
  core::PatchChoice choice;
  std::int64_t peak_bytes = 0;   // the patched plan's activation peak (-1: not planned)
  std::int64_t fixed_bytes = 0;  // fixed_bytes(patched graph)
  std::int64_t extra_macs = 0;   // MACs recomputed in the halos
};

struct PatchSearchResult {
  core::PatchChoice best;             // not enabled(): no patches beat the plain plan
  std::int64_t plain_peak_bytes = 0;  // the graph's own plan
  std::int64_t plain_fixed_bytes = 0;
  std::int64_t best_peak_bytes = 0;  // best's (plain_peak_bytes when off)
  std::int64_t best_fixed_bytes = 0;
  std::vector<PatchCandidate> tried;  // every (k, n) built (not those the bound spared)
  core::PatchedGraph best_graph;      // best's patched graph (no nodes when off)
};

PatchSearchResult choose_patches(const core::Graph& graph, double max_extra_macs,
                                 const engine::ArenaOptions& arena = {},
                                 FixedBytesFunction fixed_bytes = nullptr);

// The patched graph `option` gives for `graph` (automatic: choose_patches with `arena`):
// the graph unchanged (choice not enabled) when the option is off or nothing beats the plain
// plan. Throws tinyscale::Error for a fixed choice the graph does not allow.
core::PatchedGraph patch_graph(const core::Graph& graph, const PatchOption& option,
                               const engine::ArenaOptions& arena = {},
                               FixedBytesFunction fixed_bytes = nullptr);

}  // namespace tinyscale::costmodel
