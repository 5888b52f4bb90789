#include "costmodel/costmodel.h"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/ops.h"
#include "core/passes.h"
#include "engine/engine.h"
#include "engine/liveness.h"

namespace tinyscale::costmodel {
namespace {

FlashBreakdown flash_of(const core::Graph& deployed) {
  FlashBreakdown f;
  std::vector<char> is_bias(deployed.tensors.size(), 0);
  std::vector<char> is_weight(deployed.tensors.size(), 0);
  for (const core::Node& node : deployed.nodes) {
    if (node.op == core::OpType::conv2d || node.op == core::OpType::fully_connected) {
      is_weight[static_cast<std::size_t>(node.inputs[1])] = 1;
      if (node.inputs.size() == 3) is_bias[static_cast<std::size_t>(node.inputs[2])] = 1;
    }
  }
  for (std::size_t t = 0; t < deployed.tensors.size(); ++t) {
    const core::Tensor& tensor = deployed.tensors[t];
    const std::int64_t elements = core::num_elements(tensor.shape);
    if (!tensor.is_constant) {
      f.quantization_bytes += kFlashBytesPerQuantChannel;
    } else if (is_bias[t]) {
      f.bias_bytes += 4 * elements;
      f.quantization_bytes += kFlashBytesPerQuantChannel * elements;
    } else if (is_weight[t]) {
      f.weight_bytes += elements;
      f.quantization_bytes += kFlashBytesPerQuantChannel * tensor.shape[0];
    } else {
      f.weight_bytes += elements;
      f.quantization_bytes += kFlashBytesPerQuantChannel;
    }
  }
  f.overhead_bytes = kFlashBytesPerModel +
                     kFlashBytesPerTensor * static_cast<std::int64_t>(deployed.tensors.size()) +
                     kFlashBytesPerOperator * static_cast<std::int64_t>(deployed.nodes.size());
  return f;
}

// For each float-graph node, the deployed step that executes it: the node producing the
// tensor of the same name or, when a pass absorbed it (BatchNorm, fused activation, folded
// pad), the step of the layer it was absorbed into, found by following its sole reader.
std::vector<int> deployed_step_of(const core::Graph& graph, const core::Graph& deployed) {
  std::unordered_map<std::string, int> step_by_tensor;
  for (std::size_t n = 0; n < deployed.nodes.size(); ++n) {
    step_by_tensor[deployed.tensor(deployed.nodes[n].outputs[0]).name] = static_cast<int>(n);
  }
  std::vector<int> reader(graph.tensors.size(), -1);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    for (int in : graph.nodes[n].inputs) reader[static_cast<std::size_t>(in)] = static_cast<int>(n);
  }
  std::vector<int> step(graph.nodes.size(), -1);
  for (std::size_t n = graph.nodes.size(); n-- > 0;) {
    const auto found = step_by_tensor.find(graph.tensor(graph.nodes[n].outputs[0]).name);
    if (found != step_by_tensor.end()) {
      step[n] = found->second;
    } else {
      const int next = reader[static_cast<std::size_t>(graph.nodes[n].outputs[0])];
      step[n] = next >= 0 ? step[static_cast<std::size_t>(next)] : -1;
    }
  }
  return step;
}

// Runtime::tflite_micro: FLASH the file and TFLite Micro's code, RAM its arena, in the one
// region TFLite Micro's single arena goes to.
void take_tflm_figures(const CostOptions& options, CostReport* r) {
  r->flash_bytes =
      r->tflite_file_bytes + r->tflm_code.interpreter_bytes + r->tflm_code.kernel_bytes;
  r->ram_bytes = r->tflm.used_bytes;
  if (!options.ram_region_capacities.empty()) {
    r->ram_fixed_region = 0;
    r->ram_region_bytes = {r->ram_bytes};
    r->ram_fits = r->ram_bytes <= options.ram_region_capacities[0];
  }
}

}  // namespace

std::int64_t engine_fixed_bytes(const core::Graph& deployed) {
  const engine::RamBreakdown ram = engine::ram_breakdown(deployed, 0, core::DType::int8);
  return ram.kernel_state + ram.runtime_structures;
}

const char* runtime_name(Runtime runtime) {
  switch (runtime) {
    case Runtime::tinyscale:
      return "tinyscale";
    case Runtime::engine:
      return "engine";
    case Runtime::tflite_micro:
      break;
  }
  return "tflite-micro";
}

Runtime parse_runtime(const std::string& name) {
  if (name == "tinyscale") return Runtime::tinyscale;
  if (name == "tflite-micro") return Runtime::tflite_micro;
  if (name == "engine") return Runtime::engine;
  throw Error("unknown runtime '" + name + "' (expected tflite-micro, tinyscale or engine)");
}

CostReport analyze(core::Graph graph, const CostOptions& options) {
  if (options.runtime == Runtime::tinyscale && !options.generated_code_size) {
    throw Error("costmodel: the tinyscale runtime needs CostOptions::generated_code_size");
  }
  if (options.runtime == Runtime::tflite_micro && !options.tflite_layout) {
    throw Error("costmodel: the tflite-micro runtime needs CostOptions::tflite_layout");
  }
  if (options.runtime == Runtime::tflite_micro && options.ram_region_capacities.size() > 1) {
    throw Error("TFLite Micro has one arena; it cannot split the activations over " +
                std::to_string(options.ram_region_capacities.size()) +
                " memory regions (use --arena-regions single, or --runtime engine)");
  }
  if (options.runtime == Runtime::tinyscale && options.ram_region_capacities.size() > 1) {
    throw Error(
        "the tinyscale runtime's generated code has one arena; it cannot split the "
        "activations over " +
        std::to_string(options.ram_region_capacities.size()) +
        " memory regions (use --arena-regions single)");
  }
  if (options.patch.enabled() && options.runtime == Runtime::tflite_micro) {
    throw Error(
        "patch-based execution needs --runtime tinyscale or --runtime engine: "
        "TensorFlow Lite Micro computes every layer whole");
  }
  const bool skip_engine_ram =
      options.figures_only && options.runtime == Runtime::tflite_micro && !options.per_layer;
  CostReport r;
  r.runtime = options.runtime;
  r.tinyscale_core = options.tinyscale_core;
  for (const core::Node& node : graph.nodes) {
    const core::OpInfo& info = core::op_info(node.op);
    r.params += info.params(graph, node);
    r.macs += info.macs(graph, node);
    r.macs_torchinfo += info.macs_torchinfo(graph, node);
  }

  // The per-layer table maps float layers onto deployed steps, so it needs both graphs.
  std::optional<core::Graph> float_graph;
  if (options.per_layer) float_graph = graph;
  // A float graph is lowered the way a converter deploys it; a graph that is already int8
  // (an imported .tflite) is costed exactly as the engine will run it.
  bool float_activations = false;
  for (const core::Tensor& t : graph.tensors) {
    float_activations = float_activations || (!t.is_constant && t.dtype == core::DType::float32);
  }
  core::Graph deployed =
      float_activations ? core::lower_for_deployment(std::move(graph)) : std::move(graph);
  r.deployed_nodes = static_cast<int>(deployed.nodes.size());
  r.compute = compute_breakdown(deployed);
  for (const core::Tensor& t : deployed.tensors) {
    if (t.is_constant) r.params_deployed += core::num_elements(t.shape);
  }
  r.flash = flash_of(deployed);
  const std::int64_t itemized =
      r.flash.weight_bytes + r.flash.bias_bytes + r.flash.quantization_bytes;
  r.flash_bytes = itemized + r.flash.overhead_bytes;
  // The nodes the int8 engine has no kernel for, noted below (read now: the deployed graph
  // may be handed to the exporter).
  std::string no_kernel;
  int no_kernel_count = 0;
  for (const core::Node& node : deployed.nodes) {
    if (engine::find_kernel(node.op, core::DType::int8)) continue;
    if (no_kernel_count++ < 3) no_kernel += (no_kernel.empty() ? "" : ", ") + node.name;
  }
  // Without the engine's RAM, nothing below reads the deployed graph: the exporter may take it.
  if (options.tflite_layout) {
    try {
      const bool move = skip_engine_ram && options.tflite_layout_moved != nullptr;
      const engine::TfliteLayout layout =
          move ? options.tflite_layout_moved(std::move(deployed)) : options.tflite_layout(deployed);
      r.tflite_file_bytes = layout.file_bytes;
      r.flash_bytes = layout.file_bytes;
      r.flash.overhead_bytes = r.flash_bytes - itemized;
      r.flash_exact = true;
      r.tflm_kernels = options.tflm_kernels;
      r.tflm = engine::predict_tflm_arena(
          layout, options.tflm_kernels,
          skip_engine_ram ? engine::TflmArenaDetail::figures : engine::TflmArenaDetail::full);
      r.tflm_code = engine::tflm_code_size(layout, options.tflm_kernels, options.tinyscale_core);
      r.tflm_known = true;
      for (const std::string& note : r.tflm.notes) {
        r.notes.push_back("TFLite Micro's arena is not exact: " + note);
      }
      if (!r.tflm_code.exact) {
        for (const std::string& note : r.tflm_code.notes) {
          r.notes.push_back("TFLite Micro's code size: " + note);
        }
      }
    } catch (const Error& e) {
      if (options.runtime == Runtime::tflite_micro) throw;
      r.notes.push_back(std::string("FLASH is an estimate: no .tflite can be written (") +
                        e.what() + ")");
    }
  } else if (options.tflite_file_bytes) {
    try {
      r.flash_bytes = options.tflite_file_bytes(deployed);
      r.flash.overhead_bytes = r.flash_bytes - itemized;
      r.flash_exact = true;
    } catch (const Error& e) {
      r.notes.push_back(std::string("FLASH is an estimate: no .tflite can be written (") +
                        e.what() + ")");
    }
  }
  if (no_kernel_count > 0) {
    r.notes.push_back("RAM leaves out the kernel state of " + std::to_string(no_kernel_count) +
                      " node(s) the int8 engine has no kernel for (" + no_kernel +
                      (no_kernel_count > 3 ? ", ..." : "") + ")");
  }

  // Patches: everything below (the generated code, the arena, the per-layer steps) is for the
  // patched graph; `step` maps the float layers onto the unpatched one first.
  std::vector<int> step;
  if (float_graph) step = deployed_step_of(*float_graph, deployed);
  r.executed_macs = r.macs;
  std::vector<int> patched_origin;
  std::vector<int> patched_patch;
  if (options.patch.enabled()) {
    const engine::ArenaOptions arena_options{.algorithm = options.planner};
    core::PatchedGraph p;
    if (options.patch.mode == PatchOption::Mode::automatic) {
      PatchSearchResult search =
          choose_patches(deployed, options.patch.max_extra_macs, arena_options,
                         options.runtime == Runtime::engine ? engine_fixed_bytes : nullptr);
      p = std::move(search.best_graph);
      r.unpatched_activation_bytes = search.plain_peak_bytes;
    } else {
      r.unpatched_activation_bytes = engine::plan_arena(deployed, arena_options).plan.peak_bytes;
      p = core::apply_patches(deployed, options.patch.fixed);
    }
    if (p.choice.enabled()) {
      r.patch = p.choice;
      r.executed_macs = r.macs + (p.macs - p.plain_macs);
      deployed = std::move(p.graph);
      patched_origin = std::move(p.origin);
      patched_patch = std::move(p.patch);
      r.deployed_nodes = static_cast<int>(deployed.nodes.size());
      r.compute = compute_breakdown(deployed);
    }
  }

  // The generated code holds no kernel state or runtime structures: its fixed RAM is the
  // stack, and its FLASH the const data, kernel code and invoke code.
  if (options.runtime == Runtime::tinyscale) {
    const engine::GeneratedCodeSize code = options.generated_code_size(deployed);
    r.tinyscale = engine::device_footprint(code, options.tinyscale_core);
    r.flash_bytes = r.tinyscale.flash_bytes();
    for (const std::string& k : r.tinyscale.unknown_kernels) {
      r.notes.push_back("FLASH prices device kernel '" + k +
                        "' at the largest measured kernel's size (not in the table)");
    }
  }

  r.planner = options.planner;
  if (skip_engine_ram) {
    take_tflm_figures(options, &r);
    r.ram_greedy_bytes = r.ram_bytes;
    return r;
  }

  // The fixed part first: with memory regions it counts against the one with the most room.
  engine::RamBreakdown ram = engine::ram_breakdown(deployed, 0, core::DType::int8);
  const std::int64_t fixed = options.runtime == Runtime::tinyscale
                                 ? r.tinyscale.stack_bytes
                                 : ram.kernel_state + ram.runtime_structures;
  const engine::ArenaPlan arena =
      engine::plan_arena(deployed, {.algorithm = options.planner,
                                    .region_capacities = options.ram_region_capacities,
                                    .home_region_fixed_bytes = fixed});
  ram.activation_arena = arena.plan.peak_bytes;
  if (!options.ram_region_capacities.empty()) {
    r.ram_fits = arena.fits;
    r.ram_fixed_region = arena.fixed_region;
    for (std::size_t i = 0; i < arena.region_peak_bytes.size(); ++i) {
      r.ram_region_bytes.push_back(arena.region_used_bytes(static_cast<int>(i), fixed));
    }
  }
  r.ram_activation_bytes = ram.activation_arena;
  r.ram_kernel_state_bytes = ram.kernel_state;
  r.ram_runtime_bytes = ram.runtime_structures;
  r.ram_bytes = ram.total();
  if (options.runtime == Runtime::tinyscale) {
    // The arena is the plan above (the generated code's NAME_ARENA_BYTES for the same planner).
    r.tinyscale.arena_bytes = ram.activation_arena;
    r.ram_bytes = r.tinyscale.ram_bytes();
  }
  if (options.runtime == Runtime::tflite_micro) {
    take_tflm_figures(options, &r);
  }
  r.ram_lower_bound_bytes = arena.plan.lower_bound_bytes + fixed;
  r.ram_greedy_bytes = r.ram_bytes;
  if (options.compare_greedy && options.planner != engine::PlannerAlgorithm::greedy_by_size) {
    r.ram_greedy_bytes =
        engine::plan_memory(arena.buffers.buffers, engine::PlannerAlgorithm::greedy_by_size,
                            engine::kArenaAlignment)
            .peak_bytes +
        fixed;
  }

  if (float_graph) {
    const core::Graph& original = *float_graph;
    // With patches: per unpatched step, the patched steps that compute (a patch of) it.
    std::vector<std::vector<int>> steps_of;
    if (!patched_origin.empty()) {
      for (std::size_t n = 0; n < patched_origin.size(); ++n) {
        const int o = patched_origin[n];
        if (o < 0) continue;
        if (static_cast<std::size_t>(o) >= steps_of.size())
          steps_of.resize(static_cast<std::size_t>(o) + 1);
        steps_of[static_cast<std::size_t>(o)].push_back(static_cast<int>(n));
      }
    }
    r.layers.reserve(original.nodes.size());
    for (std::size_t n = 0; n < original.nodes.size(); ++n) {
      const core::Node& node = original.nodes[n];
      const core::OpInfo& info = core::op_info(node.op);
      LayerCost layer;
      layer.node = static_cast<int>(n);
      layer.name = node.name;
      layer.op = node.op;
      layer.output_shape = original.tensor(node.outputs[0]).shape;
      layer.params = info.params(original, node);
      layer.macs = info.macs(original, node);
      layer.macs_torchinfo = info.macs_torchinfo(original, node);
      if (step[n] >= 0 && !patched_origin.empty()) {
        const auto s = static_cast<std::size_t>(step[n]);
        for (const int at_int : s < steps_of.size() ? steps_of[s] : std::vector<int>{}) {
          const auto at = static_cast<std::size_t>(at_int);
          layer.live_bytes = std::max(layer.live_bytes, arena.live_bytes_at_step[at]);
          layer.in_place = layer.in_place || arena.buffers.in_place_input[at] >= 0;
          layer.patched = layer.patched || patched_patch[at] >= 0;
        }
      } else if (step[n] >= 0) {
        const auto at = static_cast<std::size_t>(step[n]);
        layer.live_bytes = arena.live_bytes_at_step[at];
        layer.in_place =
            at < arena.buffers.in_place_input.size() && arena.buffers.in_place_input[at] >= 0;
      }
      r.layers.push_back(std::move(layer));
    }
  }
  return r;
}

}  // namespace tinyscale::costmodel
