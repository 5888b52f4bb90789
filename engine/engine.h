// engine::CompiledModel — compile a graph once (kernels chosen and prepared, every
// activation and scratch buffer given an offset in one arena by the memory planner), then
// run it any number of times without allocating.
//
// compile() refuses (Status::invalid_model, the message naming the limit) an arena over
// core::kMaxArenaBytes, a node's scratch over it or kernel state over
// core::kMaxKernelStateBytes before allocating them (core/limits.h).
//
// The graph must outlive the compiled model: constants are read in place, tensor
// metadata (shapes, quantization) is referenced, not copied.
//
// RAM accounting (arena_bytes): what a microcontroller would hold at run time for this
// model, the figure to compare with TFLite Micro's arena_used_bytes:
//   activation arena   the planner's peak over activations and scratch buffers
//   kernel state       every node's op_data (requantization multipliers, ...), 8-aligned,
//                      plus a fused activation's 256-byte table in its convolution's op_data
//   runtime structures 32-bit layout: 8 B per tensor (data pointer + metadata pointer),
//                      16 B per node (kernel, op_data, scratch, io index), 64 B per model;
//                      a fused activation node and the pre-activation tensor count none
// Fused activations (CompileOptions::fuse_activations, engine/activation_fusion.h): the
// convolution writes the activated values straight into the activation's output; the
// activation node does not run (run() still calls after_node for it), and tensor(id) of the
// pre-activation tensor points at the activation's output, so it holds activated values.
// With CompileOptions::region_capacities the activation arena is the sum of the regions'
// peaks (arena_plan().region_peak_bytes).
//
// Usage:
//   engine::CompiledModel model;
//   char error[256];
//   if (model.compile(graph, {}, error, sizeof error) != engine::Status::ok) { ... }
//   std::memcpy(model.input(0).data, bytes, n);
//   model.run();
//   const std::int8_t* y = model.output(0).as<std::int8_t>();
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/graph.h"
#include "engine/activation_fusion.h"
#include "engine/kernels/kernel.h"
#include "engine/liveness.h"
#include "engine/status.h"

namespace tinyscale::engine {

struct CompileOptions {
  PlannerAlgorithm planner = PlannerAlgorithm::best_of;
  std::int64_t alignment = kArenaAlignment;
  // Memory regions to split the activation buffers over (plan_arena's region_capacities;
  // the kernel state and runtime structures count against the largest). Empty: one arena.
  // The host still allocates one block, the regions side by side; arena_plan() says which
  // region each buffer is in and whether every region holds its share (fits).
  std::span<const std::int64_t> region_capacities;
  // plan_arena's in_place (element-wise ops write over an input that dies at them) and
  // no_reuse (every tensor its own bytes for the whole run: a reference for tests).
  bool in_place = true;
  bool no_reuse = false;
  // A depthwise convolution runs in place only where that lowers the peak (the plan of
  // engine::plan_arena_for_deployment: the fast device kernel has no in-place path), and a
  // node gets the optional scratch its prepare reported where that costs no arena byte;
  // off: in place wherever it may, no optional scratch (plan_arena's choice; the in-place
  // tests exercise that path).
  bool out_of_place_depthwise = true;
  // An int8 activation that directly follows a conv2d is applied in the convolution's output
  // stage as a 256-entry table (engine/activation_fusion.h); off: every node runs on its own
  // (the reference the tests compare the fused model with). Only with in_place or no_reuse:
  // the convolution then writes bytes no other tensor holds at its step.
  bool fuse_activations = true;
};

struct RamBreakdown {
  std::int64_t activation_arena = 0;
  std::int64_t kernel_state = 0;
  std::int64_t runtime_structures = 0;
  std::int64_t total() const { return activation_arena + kernel_state + runtime_structures; }
};

inline constexpr std::int64_t kRuntimeBytesPerTensor = 8;
inline constexpr std::int64_t kRuntimeBytesPerNode = 16;
inline constexpr std::int64_t kRuntimeBytesPerModel = 64;

// The one RAM formula: compile() reports it for the model it prepared, and the cost model
// (hence `solve`) for a graph about to be deployed as int8. Kernel state is each node's
// op_data for the kernel that will run it (`kernel_dtype`: int8 for a deployment).
// Activations are fused as an int8 compile() fuses them (plan_activation_fusion with int8
// activations for an int8 kernel dtype, none otherwise); the overload takes the fusion.
RamBreakdown ram_breakdown(const core::Graph& graph, std::int64_t activation_arena,
                           core::DType kernel_dtype);
RamBreakdown ram_breakdown(const core::Graph& graph, std::int64_t activation_arena,
                           core::DType kernel_dtype, const ActivationFusion& fusion);

class CompiledModel {
 public:
  // Chooses and prepares a kernel for every node, plans and allocates the arena. On
  // failure returns the status and writes one line naming the node into `error`.
  Status compile(const core::Graph& graph, const CompileOptions& options, char* error,
                 std::size_t error_size);
  // Runs every node in order. The inputs must be written before every run: once a node
  // has consumed an input, the planner lets later tensors reuse its bytes (as TFLite
  // Micro's arena does; no node writes over a graph input in place, but a later tensor may
  // take its bytes). `after_node`, when
  // given, is called after each node with its index (e.g. to copy out intermediate tensors
  // before the arena reuses their bytes).
  Status run(void (*after_node)(void* user, int node) = nullptr, void* user = nullptr);

  int num_inputs() const { return static_cast<int>(graph_->inputs.size()); }
  int num_outputs() const { return static_cast<int>(graph_->outputs.size()); }
  const TensorRef& input(int i) const { return tensors_[graph_input(i)]; }
  const TensorRef& output(int i) const { return tensors_[graph_output(i)]; }
  // Any tensor by id (activations hold their values of the last run while no later
  // buffer has reused their bytes; constants always).
  const TensorRef& tensor(int id) const { return tensors_[static_cast<std::size_t>(id)]; }

  const RamBreakdown& ram() const { return ram_; }
  std::int64_t arena_bytes() const { return ram_.total(); }
  const ArenaPlan& arena_plan() const { return plan_; }
  const core::Graph& graph() const { return *graph_; }
  // Which activations run inside their convolution (all -1 with fuse_activations off).
  const ActivationFusion& activation_fusion() const { return fusion_; }
  // Per node: for a multiply fused into a later pointwise convolution (engine/mul_fusion.h;
  // the deployment plan keeps its other operand live until then), that convolution; else -1.
  const std::vector<int>& fused_multiply_into() const { return plan_.buffers.fused_multiply_into; }
  // The 256-entry table conv2d node `node` applies (its params' output_table), or null.
  const std::int8_t* activation_table(int node) const;

 private:
  std::size_t graph_input(int i) const {
    return static_cast<std::size_t>(graph_->inputs[static_cast<std::size_t>(i)]);
  }
  std::size_t graph_output(int i) const {
    return static_cast<std::size_t>(graph_->outputs[static_cast<std::size_t>(i)]);
  }

  struct NodeRuntime {
    const KernelInfo* kernel = nullptr;
    std::size_t op_data_offset = 0;
    std::int64_t scratch_offset = -1;  // into the arena
    std::size_t io_offset = 0;         // into io_: inputs then outputs
    std::int64_t table_offset = -1;    // into op_data_: a fused activation's table
  };

  NodeContext context(std::size_t n, char* error, std::size_t error_size);

  const core::Graph* graph_ = nullptr;
  std::vector<NodeRuntime> nodes_;
  std::vector<TensorRef> tensors_;  // by tensor id
  std::vector<TensorRef> io_;       // per node: its inputs then its outputs
  std::vector<std::max_align_t> op_data_;
  std::vector<std::max_align_t> arena_;
  ArenaPlan plan_;
  RamBreakdown ram_;
  ActivationFusion fusion_;
};

}  // namespace tinyscale::engine
