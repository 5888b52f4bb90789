// costmodel::analyze — the exact cost of a float graph deployed as int8, computed from the
// graph itself (never from a second description of the network):
//
//   params            trainable parameters, counted as torchinfo counts them (BatchNorm
//                     gamma and beta included, running statistics not)
//   params_deployed   constants after BatchNorm folding (weights + biases), what FLASH holds
//   macs              conventional conv + fully-connected multiply-accumulates
//   macs_torchinfo    torchinfo's total_mult_adds (micromind's get_MAC figure)
//   flash_bytes       the size of the .tflite file the graph becomes (int8 weights, int32
//                     biases, per-channel quantization parameters, the flatbuffer tables),
//                     exact when CostOptions::tflite_file_bytes is given (see there)
//   ram_bytes         what the engine will hold at run time, by the engine's own formula
//                     (engine::ram_breakdown): the arena plan's peak for the deployed graph
//                     (int8 activations, scratch, 16-byte aligned offsets) + the int8
//                     kernels' state + the runtime structures of a 32-bit target
//   ram_lower_bound   the same with the activation peak replaced by its lower bound (the
//                     largest sum of simultaneously live aligned buffers)
//   ram_region_bytes  with memory regions given (CostOptions::ram_region_capacities), the
//                     bytes used in each region and whether they all fit (ram_fits)
//   compute           the deployed graph's MACs by kernel kind (dense, depthwise, fully
//                     connected) and its other ops' output elements: what the latency
//                     estimate prices (costmodel::estimate_latency_ms(report.compute, ...))
//
// The runtime the figures are for (CostOptions::runtime, CostReport::runtime):
//   tflite_micro (the default)  TensorFlow Lite Micro running the .tflite file: FLASH is the
//                               file (exact, CostOptions::tflite_layout) + the interpreter's
//                               and the used kernels' code (a measured table,
//                               engine/tflm_code_size.h); RAM is the arena_used_bytes TFLite
//                               Micro reports with the chosen kernels (reference or CMSIS-NN),
//                               predicted exactly from the file's graph (engine/tflm_arena.h).
//                               CostReport::tflm itemizes the arena as TFLite Micro allocates it.
//   tinyscale                   this project's generated code (deploy/codegen.h): FLASH is
//                               the model's const data (NAME_MODEL_DATA_BYTES, exact) + the
//                               kernel code and NAME_invoke() (measured tables,
//                               engine/deploy_size.h); RAM is the arena (the engine's plan) + the
//                               stack bound. CostReport::tinyscale itemizes them.
//   engine                      tinyscale's host engine (`tinyscale run`): FLASH the .tflite
//                               file, RAM the engine's arena + kernel state + runtime
//                               structures (engine::ram_breakdown). The one runtime whose arena
//                               may be split over several memory regions.
// The engine's figures (ram_activation_bytes, ram_kernel_state_bytes, ...) are filled for every
// runtime; ram_bytes and flash_bytes are the chosen runtime's.
//
// The deployed graph is core::lower_for_deployment(graph): SiLU expanded, zero padding
// folded into convolutions, BatchNorm folded, ReLU/ReLU6 fused.
//
// Usage:
//   costmodel::CostReport r = costmodel::analyze(graph);
//   r.flash_bytes; r.ram_bytes; r.layers[i].live_bytes;
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/patch.h"
#include "costmodel/latency.h"
#include "costmodel/patches.h"
#include "engine/deploy_size.h"
#include "engine/memory_planner.h"
#include "engine/tflite_layout.h"
#include "engine/tflm_arena.h"
#include "engine/tflm_code_size.h"

namespace tinyscale::costmodel {

// The container overhead of an int8 .tflite file when the writer is not at hand: each tensor costs
// a Tensor table, its shape vector, quantization table and Buffer entry; each operator its Operator
// table, input/output vectors and builtin options; the model a fixed header (version, operator
// codes, subgraph, description).
inline constexpr std::int64_t kFlashBytesPerTensor = 64;
inline constexpr std::int64_t kFlashBytesPerOperator = 48;
inline constexpr std::int64_t kFlashBytesPerModel = 640;
// A per-channel quantization entry: float32 scale + int64 zero point (TFLite's schema types).
inline constexpr std::int64_t kFlashBytesPerQuantChannel = 12;

struct FlashBreakdown {
  std::int64_t weight_bytes = 0;        // int8 weights and other int8 constants
  std::int64_t bias_bytes = 0;          // int32 biases
  std::int64_t quantization_bytes = 0;  // per-channel and per-tensor scales + zero points
  // The flatbuffer container: the file size minus the three items above when the file
  // size is known, else the estimate tensors × 64 + operators × 48 + 640.
  std::int64_t overhead_bytes = 0;
};

enum class Runtime { tflite_micro, tinyscale, engine };

// "tflite-micro", "tinyscale", "engine"; parse_runtime throws tinyscale::Error listing the valid
// names.
const char* runtime_name(Runtime runtime);
Runtime parse_runtime(const std::string& name);

struct LayerCost {
  int node = 0;
  std::string name;
  core::OpType op = core::OpType::add;
  core::Shape output_shape;
  std::int64_t params = 0;
  std::int64_t macs = 0;
  std::int64_t macs_torchinfo = 0;
  // Arena bytes live while the deployed node that executes this layer runs.
  std::int64_t live_bytes = 0;
  // That node writes its output over an input that dies there (one buffer; engine::plan_arena's
  // in-place execution).
  bool in_place = false;
  // The layer runs patch by patch (CostOptions::patch): live_bytes is then the most live while
  // any of its patches runs.
  bool patched = false;
};

struct CostReport {
  std::int64_t params = 0;
  std::int64_t params_deployed = 0;
  std::int64_t macs = 0;
  std::int64_t macs_torchinfo = 0;
  std::int64_t flash_bytes = 0;
  bool flash_exact = false;  // flash_bytes is the real file size (tflite_file_bytes given)
  FlashBreakdown flash;
  std::int64_t ram_bytes = 0;
  std::int64_t ram_lower_bound_bytes = 0;
  std::int64_t ram_greedy_bytes = 0;        // greedy-by-size plan, for comparison
  std::int64_t ram_activation_bytes = 0;    // the arena plan's peak
  std::int64_t ram_kernel_state_bytes = 0;  // op_data of the int8 kernels
  std::int64_t ram_runtime_bytes = 0;       // runtime structures (32-bit)
  // With CostOptions::ram_region_capacities: the bytes used in each region (its buffers'
  // peak, plus the kernel state and runtime structures in ram_fixed_region, the region with
  // the most room) and whether every region's use is within its capacity. ram_bytes is then
  // the sum over the regions.
  std::vector<std::int64_t> ram_region_bytes;
  int ram_fixed_region = 0;
  bool ram_fits = true;
  engine::PlannerAlgorithm planner = engine::PlannerAlgorithm::best_of;
  int deployed_nodes = 0;
  // What the figures could not take exactly, one sentence each (empty when all are exact):
  // FLASH falls back to the itemized estimate, with the writer's reason, when the TFLite
  // writer cannot write the graph; a deployed node without an int8 kernel adds no kernel
  // state to RAM.
  std::vector<std::string> notes;
  // Which runtime flash_bytes and ram_bytes are for; with Runtime::tinyscale, their items
  // (flash_bytes = tinyscale.flash_bytes(), ram_bytes = tinyscale.ram_bytes()) on
  // tinyscale_core; with Runtime::tflite_micro, flash_bytes = the file + tflm_code, ram_bytes =
  // tflm.used_bytes. The engine's items above (ram_kernel_state_bytes, ...) stay.
  Runtime runtime = Runtime::engine;
  // With CostOptions::tflite_layout (whatever the runtime): the .tflite file's size, TFLite
  // Micro's arena with tflm_kernels and its code on tinyscale_core.
  bool tflm_known = false;
  std::int64_t tflite_file_bytes = 0;
  engine::TflmKernels tflm_kernels = engine::TflmKernels::cmsis_nn;
  engine::TflmArena tflm;
  engine::TflmCodeSize tflm_code;
  engine::DeviceFootprint tinyscale;
  engine::DeviceCore tinyscale_core = engine::DeviceCore::cortex_m7;
  ComputeBreakdown compute;  // of the deployed graph, for the latency estimate
  std::vector<LayerCost> layers;
  // With CostOptions::patch: the choice made (not enabled(): none beat the plain plan, or
  // patches are off), the stage's output tensor, the MACs the patched graph executes (macs
  // plus the recomputed halos; macs without patches) and the plain plan's activation peak.
  core::PatchChoice patch;
  std::int64_t executed_macs = 0;
  std::int64_t unpatched_activation_bytes = 0;
};

// The size of the .tflite file a graph becomes (exporter::tflite_file_bytes). costmodel does
// not link export (DESIGN.md), so the caller that does (the CLI, the tests) passes it in;
// without it FLASH is the itemized estimate below and CostReport::flash_exact is false. When
// it throws tinyscale::Error (a graph no .tflite can hold), analyze() keeps the estimate and
// adds the reason to CostReport::notes instead of failing: params, MACs and RAM still stand.
using FileBytesFunction = std::int64_t (*)(const core::Graph& graph);

// What the .tflite file a graph becomes holds (exporter::tflite_layout): its size and the graph
// TFLite Micro allocates for. Given, it replaces tflite_file_bytes; Runtime::tflite_micro needs
// it (analyze throws tinyscale::Error without it).
using TfliteLayoutFunction = engine::TfliteLayout (*)(const core::Graph& graph);
// The same layout, the graph consumed (exporter::tflite_layout_moved): optional; analyze()
// calls it instead of tflite_layout when it needs the graph no more (figures_only with
// Runtime::tflite_micro), which spares the exporter a copy of the graph.
using TfliteLayoutMovedFunction = engine::TfliteLayout (*)(core::Graph&& graph);

// The generated code's figures for the deployed graph (deploy::generated_code_size):
// costmodel does not link deploy, so the caller that does passes it in for Runtime::tinyscale.
using GeneratedCodeSizeFunction = engine::GeneratedCodeSize (*)(const core::Graph& graph);

struct CostOptions {
  engine::PlannerAlgorithm planner = engine::PlannerAlgorithm::best_of;
  FileBytesFunction tflite_file_bytes = nullptr;
  TfliteLayoutFunction tflite_layout = nullptr;
  TfliteLayoutMovedFunction tflite_layout_moved = nullptr;  // with tflite_layout, optional
  engine::TflmKernels tflm_kernels = engine::TflmKernels::cmsis_nn;
  bool per_layer = true;       // fill CostReport::layers
  bool compare_greedy = true;  // also plan with greedy_by_size
  // Only what the solver reads, as fast as possible: with Runtime::tflite_micro and
  // per_layer false, the engine's own RAM plan is skipped (ram_activation_bytes,
  // ram_kernel_state_bytes, ram_runtime_bytes, ram_lower_bound_bytes stay 0) and TFLite Micro's
  // arena is predicted with engine::TflmArenaDetail::figures (tflm.activation_bytes 0, no
  // tflm.items). Every other field, flash_bytes, ram_bytes and ram_fits among them, is the
  // same as without it. No effect with the other runtimes.
  bool figures_only = false;
  // The room of each memory region the model may use (scaling::region_capacities): the
  // activation buffers are split over them by engine::plan_arena, exactly as `run` places
  // them. One capacity: the single arena, checked against it. Empty: no check.
  std::span<const std::int64_t> ram_region_capacities;
  // Runtime::tinyscale needs generated_code_size (analyze throws tinyscale::Error without it)
  // and prices the kernels for tinyscale_core; Runtime::tflite_micro needs tflite_layout and
  // prices TFLite Micro's code for the same core. The default, engine, needs neither.
  Runtime runtime = Runtime::engine;
  GeneratedCodeSizeFunction generated_code_size = nullptr;
  engine::DeviceCore tinyscale_core = engine::DeviceCore::cortex_m7;
  // Patch-based execution (core/patch.h) of the deployed graph for Runtime::tinyscale and
  // Runtime::engine: RAM, the generated code's FLASH and the compute breakdown are then the
  // patched graph's (params, macs and the .tflite file stay the network's). analyze() throws
  // tinyscale::Error when it is asked of Runtime::tflite_micro, or a fixed choice the graph
  // does not allow.
  PatchOption patch;
};

// The engine's RAM besides its arena for an int8 graph (kernel state + runtime structures):
// what patches that repeat nodes add to (costmodel::choose_patches' fixed_bytes for it).
std::int64_t engine_fixed_bytes(const core::Graph& deployed);

// Takes the graph by value: a temporary (the solver's case) is lowered in place, no copy.
CostReport analyze(core::Graph graph, const CostOptions& options = {});

}  // namespace tinyscale::costmodel
