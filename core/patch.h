// Patch-based execution (MCUNetV2, Lin et al. 2021): the first layers of a network, where
// the activations are largest, computed patch by patch instead of whole.
//
// The output T of the first k layers (k counts convolutions and poolings; the element-wise
// ops after the k-th come along) is split into an n×n grid of cells. For each cell, in
// row-major order, the stage's layers compute just that cell's receptive field: each layer's
// tile is the union of what its readers need, the halo between neighbouring patches is
// recomputed, and padding is applied only where a tile touches the image border (the tile's
// convolutions get explicit per-side padding). The cell is then pasted into T, which is one
// buffer for the whole chain of pastes (engine/liveness.h runs paste in place). After the
// stage, whole-tensor execution resumes. Every output pixel is computed by the same integer
// math as in the whole-tensor graph, so results are bit-identical.
//
// The rewrite is a graph to graph pass: the patched graph holds the stage's layers once per
// patch (sharing their weights: the same constant tensors), slices of the graph input and
// of tiles where a reader needs less than the tile holds, and the pastes. The arena planner,
// the engine, the code generator and the cost model then treat it as any graph, so the RAM
// they report for it is what it allocates.
//
// A stage may end after node i when nodes 0..i are all spatially local (conv2d, pools, pad,
// batch_norm, element-wise ops over operands of one shape, channel concatenation) and
// exactly one activation tensor computed by them is read after i (a "cut": no residual or
// other branch crosses it), 4-D and not a graph output; the graph has one input, read only
// in the stage. Squeeze-excite (a global pooling) ends every stage before it. A model with
// float I/O first quantizes its input: that node runs whole, and the stage slices its int8
// output (the device kernels are int8, and int8 tiles are smaller).
//
// Usage:
//   std::vector<core::PatchStage> stages = core::patch_stages(graph);   // the valid k
//   core::PatchedGraph p = core::apply_patches(graph, {.layers = 6, .grid = 4});
//   p.graph;                   // to plan, compile, generate code for
//   p.macs - p.plain_macs;     // the recomputed halo's MACs
//   p.origin[n];               // the node of `graph` node n of p.graph computes (a part of)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyscale::core {

// One place a stage may end.
struct PatchStage {
  int first_node = 0;  // the stage is nodes first_node..last_node; those before it run whole
  int last_node = 0;
  int layers = 0;                      // convolutions and poolings among them
  int tensor = 0;                      // the one tensor read after the stage (T)
  int input = 0;                       // the one tensor the stage reads whole (sliced per patch)
  std::int64_t height = 0, width = 0;  // T's
};

// Every place a stage may end, in node order; per layer count only the last (the one that
// takes the element-wise ops after the k-th layer along). Empty when the graph has none.
std::vector<PatchStage> patch_stages(const Graph& graph);

struct PatchChoice {
  int layers = 0;  // k: 0 = no patches
  int grid = 0;    // n: the n×n split of T
  bool enabled() const { return layers > 0 && grid > 1; }
};

// "off", or "k,n" (e.g. "6,4").
std::string patch_choice_text(const PatchChoice& choice);

struct PatchedGraph {
  Graph graph;
  PatchChoice choice;
  PatchStage stage;
  std::vector<int> origin;      // per node of graph: the node of the input graph it computes (a
                                // patch of), or -1 for the slices and pastes the rewrite adds
  std::vector<int> patch;       // per node: its patch (0..n²-1), or -1 after the stage
  std::int64_t plain_macs = 0;  // the input graph's MACs
  std::int64_t macs = 0;        // the patched graph's: plain_macs plus the recomputed halos
};

// The patched graph for `choice` (with choice.enabled() false: the graph unchanged). Throws
// tinyscale::Error naming the reason when k is not a layer count a stage ends at (the
// message lists those that are) or n is larger than T's height or width.
PatchedGraph apply_patches(const Graph& graph, const PatchChoice& choice);

// A patched graph names each copy of a stage node "<name>.p<patch>": the node's own name
// for such a copy, else "" (a code generator shares the copies' identical const arrays).
std::string patch_copy_of(const std::string& node_name);

// MACs of a graph (core::op_info(op).macs summed over its nodes).
std::int64_t graph_macs(const Graph& graph);

}  // namespace tinyscale::core
