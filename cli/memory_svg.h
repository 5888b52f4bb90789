// The memory picture of `tinyscale info MODEL --memory-svg FILE` (and `net ... --memory-svg`):
// tinyscale's engine arena over time, drawn from the very plan the report's RAM figures come
// from, so a person can see which buffers make the peak and when.
//
//   x   node step (the deployed graph's node index); hovering a column names its op and node
//   y   offset in the arena, in KiB (ticks), 0 at the bottom
//   one rectangle per planned buffer, from its first to its last step, at its offset with its
//   size, colored by kind (graph input, activation, scratch, graph output); hovering it names
//   the tensor(s) it holds (every tensor of an in-place chain; or the node owning the
//   scratch), their shapes, its bytes, offset and steps
//   the peak: a dashed line at the plan's peak, and the step(s) where a buffer reaches it
//   shaded; a step line of the bytes live at each step (its maximum is the lower bound)
//   a title naming the model, the peak (element id "peak-label": "peak N B") and the lower
//   bound, and a legend
// When the plan splits the buffers over memory regions (a board's, `--arena-regions auto`),
// each region gets its own band with its own offset axis and peak. Buffer kinds are an enum
// so later execution modes (patches of patch-based inference) can get their own color.
//
// Usage:
//   const engine::ArenaPlan& plan = model.arena_plan();
//   const std::string svg = memory_svg(model.graph(), plan, {.title = "kws.tflite"});
//   core::write_file_atomically("arena.svg", svg);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/graph.h"
#include "costmodel/costmodel.h"
#include "engine/liveness.h"
#include "scaling/budgets.h"

namespace tinyscale::cli {

enum class BufferKind { graph_input, activation, scratch, graph_output };

struct MemorySvgOptions {
  std::string title;                            // the model: its path, or the network's description
  std::vector<std::string> region_names;        // per plan region; missing: "region r"
  std::vector<std::int64_t> region_capacities;  // per plan region; missing: not shown
  std::int64_t fixed_bytes = 0;  // kernel state and runtime structures (in plan.fixed_region)
  // Patch-based execution (core::PatchedGraph::patch): per step its patch, or -1. Each
  // patch's steps get a tinted band and a label, so the patches show under their tiles.
  std::vector<int> step_patch;
  std::string patch_text;  // "the first 6 layers in 8x8 patches", for the summary line
};

// The tensors a buffer holds: one, or with in-place execution each tensor of the chain that
// writes over it, in id order. Empty for a scratch buffer.
std::vector<int> buffer_tensors(const engine::ArenaBuffers& buffers, std::size_t buffer);
// A buffer holding a graph output is an output, else one holding a graph input an input.
BufferKind buffer_kind(const core::Graph& graph, const engine::ArenaBuffers& buffers,
                       std::size_t buffer);

// The SVG text. `graph` is the graph `plan` was made for (its nodes are the steps).
std::string memory_svg(const core::Graph& graph, const engine::ArenaPlan& plan,
                       const MemorySvgOptions& options);

// The names and capacities of the regions a plan made for scaling::region_capacities(budgets)
// has, into `options` (nothing without budgets).
void add_region_labels(const std::optional<scaling::Budgets>& budgets, MemorySvgOptions* options);

// The deployed graph and the engine's arena plan for it exactly as costmodel::analyze plans
// it for `options` (same lowering, patches, planner, regions and fixed bytes), so the picture's
// peak is `report.ram_activation_bytes`.
struct DeployedPlan {
  core::Graph graph;
  engine::ArenaPlan plan;
  std::int64_t fixed_bytes = 0;
  std::vector<int> step_patch;  // with report.patch: per step, its patch or -1
};
DeployedPlan plan_like_costmodel(const core::Graph& graph, const costmodel::CostOptions& options,
                                 const costmodel::CostReport& report);

// Checks `path` for --memory-svg before any work (extension .svg, its folder exists, not the
// model file); empty path: nothing to check. Throws tinyscale::Error naming the option.
void check_memory_svg_path(const std::string& path, const std::string& model_path = "");

// Writes `svg` atomically to `path`.
void write_memory_svg(const std::string& path, const std::string& svg);

}  // namespace tinyscale::cli
