#include "engine/engine.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/limits.h"
#include "core/ops.h"
#include "engine/kernels/device/conv2d.h"
#include "engine/mul_fusion.h"

namespace tinyscale::engine {
namespace {

std::size_t words_for(std::int64_t bytes) {
  const auto b = static_cast<std::size_t>(bytes);
  return (b + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
}

}  // namespace

RamBreakdown ram_breakdown(const core::Graph& graph, std::int64_t activation_arena,
                           core::DType kernel_dtype) {
  return ram_breakdown(graph, activation_arena, kernel_dtype,
                       kernel_dtype == core::DType::int8 ? plan_activation_fusion(graph, true)
                                                         : no_activation_fusion(graph));
}

RamBreakdown ram_breakdown(const core::Graph& graph, std::int64_t activation_arena,
                           core::DType kernel_dtype, const ActivationFusion& fusion) {
  RamBreakdown ram;
  ram.activation_arena = activation_arena;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    if (fusion.fused_into[n] >= 0) continue;  // runs inside its convolution: no state
    if (const KernelInfo* k = find_kernel(node.op, kernel_dtype)) {
      ram.kernel_state += static_cast<std::int64_t>(op_data_bytes(*k, graph, node));
    }
    if (fusion.activation[n] >= 0) ram.kernel_state += kActivationTableBytes;
  }
  // Tensors no node and no graph input/output refers to (left by a pass that folded a
  // node away) need no runtime structure.
  std::vector<char> used(graph.tensors.size(), 0);
  for (const int id : graph.inputs) used[static_cast<std::size_t>(id)] = 1;
  for (const int id : graph.outputs) used[static_cast<std::size_t>(id)] = 1;
  for (const core::Node& node : graph.nodes) {
    for (const int id : node.inputs) used[static_cast<std::size_t>(id)] = 1;
    for (const int id : node.outputs) used[static_cast<std::size_t>(id)] = 1;
  }
  // A fused pair's pre-activation tensor is never written, its activation never run.
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (fusion.activation[n] >= 0) used[static_cast<std::size_t>(graph.nodes[n].outputs[0])] = 0;
  }
  const auto used_tensors = std::count(used.begin(), used.end(), 1);
  const auto nodes = static_cast<std::int64_t>(graph.nodes.size()) - fusion.count;
  ram.runtime_structures = kRuntimeBytesPerModel +
                           kRuntimeBytesPerTensor * static_cast<std::int64_t>(used_tensors) +
                           kRuntimeBytesPerNode * nodes;
  return ram;
}

NodeContext CompiledModel::context(std::size_t n, char* error, std::size_t error_size) {
  const core::Node& node = graph_->nodes[n];
  const NodeRuntime& rt = nodes_[n];
  NodeContext ctx;
  ctx.graph = graph_;
  ctx.node = &node;
  ctx.inputs = io_.data() + rt.io_offset;
  ctx.num_inputs = static_cast<int>(node.inputs.size());
  ctx.outputs = ctx.inputs + node.inputs.size();
  ctx.num_outputs = static_cast<int>(node.outputs.size());
  ctx.op_data = reinterpret_cast<std::uint8_t*>(op_data_.data()) + rt.op_data_offset;
  ctx.scratch = rt.scratch_offset >= 0 && !arena_.empty()
                    ? reinterpret_cast<std::uint8_t*>(arena_.data()) + rt.scratch_offset
                    : nullptr;
  ctx.error = error;
  ctx.error_size = error_size;
  return ctx;
}

Status CompiledModel::compile(const core::Graph& graph, const CompileOptions& options, char* error,
                              std::size_t error_size) {
  auto fail = [&](Status status, std::size_t n, const char* what) {
    if (error && error_size) {
      const core::Node& node = graph.nodes[n];
      std::snprintf(error, error_size, "node %zu '%s' (%s): %s", n, node.name.c_str(),
                    core::op_name(node.op), what);
    }
    return status;
  };
  graph_ = &graph;
  nodes_.assign(graph.nodes.size(), {});
  tensors_.assign(graph.tensors.size(), {});
  for (std::size_t t = 0; t < graph.tensors.size(); ++t) {
    tensors_[t].tensor = &graph.tensors[t];
    if (graph.tensors[t].is_constant) {
      if (!graph.tensors[t].has_data()) {
        if (error && error_size) {
          std::snprintf(error, error_size, "constant tensor %zu '%s' has no data", t,
                        graph.tensors[t].name.c_str());
        }
        return Status::invalid_model;
      }
      tensors_[t].data = const_cast<std::uint8_t*>(graph.tensors[t].data.data());
    }
  }

  // The convolution writes the activation's output at its own step: only the in-place plan
  // (the pre-activation tensor and the activation's output one buffer) or the no-reuse plan
  // keeps those bytes from another tensor live at that step.
  fusion_ = options.fuse_activations && (options.in_place || options.no_reuse)
                ? plan_activation_fusion(graph, false)
                : no_activation_fusion(graph);

  // Kernels and their persistent state (a fused activation has none: its table follows its
  // convolution's op_data).
  std::size_t op_data_bytes = 0, io_count = 0;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const core::Node& node = graph.nodes[n];
    if (node.inputs.empty()) return fail(Status::invalid_model, n, "has no inputs");
    const core::DType dtype = graph.tensor(node.inputs[0]).dtype;
    const KernelInfo* kernel = find_kernel(node.op, dtype);
    if (!kernel) {
      char what[128];
      std::snprintf(what, sizeof what, "no %s kernel for this op", core::dtype_name(dtype));
      return fail(Status::unsupported_op, n, what);
    }
    nodes_[n].kernel = kernel;
    if (fusion_.fused_into[n] < 0) {
      nodes_[n].op_data_offset = op_data_bytes;
      op_data_bytes += engine::op_data_bytes(*kernel, graph, node);
    }
    if (fusion_.activation[n] >= 0) {
      if (!kernel->device_function) return fail(Status::invalid_model, n, "cannot fuse");
      nodes_[n].table_offset = static_cast<std::int64_t>(op_data_bytes);
      op_data_bytes += static_cast<std::size_t>(kActivationTableBytes);
    }
    // Shapes come from a file: bound what they make the engine allocate before it does.
    if (op_data_bytes > static_cast<std::size_t>(core::kMaxKernelStateBytes)) {
      char what[160];
      std::snprintf(what, sizeof what,
                    "brings the kernel state to %zu bytes, over the %lld MiB limit for the "
                    "engine's kernel state (kMaxKernelStateBytes)",
                    op_data_bytes, static_cast<long long>(core::kMaxKernelStateBytes / core::kMiB));
      return fail(Status::invalid_model, n, what);
    }
    nodes_[n].io_offset = io_count;
    io_count += node.inputs.size() + node.outputs.size();
  }
  op_data_.assign(words_for(static_cast<std::int64_t>(op_data_bytes)), std::max_align_t{});
  io_.assign(io_count, {});

  // Prepare every node (constants readable, activations not yet placed).
  std::vector<std::int64_t> scratch(graph.nodes.size(), 0);
  std::vector<std::int64_t> optional_scratch(graph.nodes.size(), 0);
  auto bind_io = [&](std::size_t n) {
    const core::Node& node = graph.nodes[n];
    TensorRef* io = io_.data() + nodes_[n].io_offset;
    for (int id : node.inputs) *io++ = tensors_[static_cast<std::size_t>(id)];
    for (int id : node.outputs) *io++ = tensors_[static_cast<std::size_t>(id)];
  };
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    bind_io(n);
    char message[256] = "";
    NodeContext ctx = context(n, message, sizeof message);
    ctx.scratch = nullptr;
    // A fused activation is prepared into a block of its own, only to compute its table.
    std::vector<std::max_align_t> fused_op_data;
    const int conv = fusion_.fused_into[n];
    if (conv >= 0) {
      fused_op_data.assign(words_for(static_cast<std::int64_t>(
                               engine::op_data_bytes(*nodes_[n].kernel, graph, graph.nodes[n]))),
                           std::max_align_t{});
      ctx.op_data = fused_op_data.data();
    }
    const Status s = nodes_[n].kernel->prepare(ctx, &scratch[n]);
    if (s != Status::ok) return fail(s, n, message[0] ? message : status_name(s));
    if (scratch[n] < 0) return fail(Status::invalid_model, n, "asked for negative scratch");
    optional_scratch[n] = std::max<std::int64_t>(0, ctx.optional_scratch_bytes);
    if (scratch[n] > core::kMaxArenaBytes) {
      char what[160];
      std::snprintf(what, sizeof what,
                    "needs %lld bytes of scratch, over the %lld MiB limit for the engine's "
                    "arena (kMaxArenaBytes)",
                    static_cast<long long>(scratch[n]),
                    static_cast<long long>(core::kMaxArenaBytes / core::kMiB));
      return fail(Status::invalid_model, n, what);
    }
    if (conv >= 0) {
      const NodeRuntime& c = nodes_[static_cast<std::size_t>(conv)];
      auto* op_data = reinterpret_cast<std::uint8_t*>(op_data_.data());
      auto* table = reinterpret_cast<std::int8_t*>(op_data + c.table_offset);
      if (!activation_table_s8(graph.nodes[n].op, fused_op_data.data(), table)) {
        return fail(Status::invalid_model, n, "has no activation table");
      }
      // op_data of an int8 conv2d begins with its device params (kernel.h).
      reinterpret_cast<device::Conv2dS8Params*>(op_data + c.op_data_offset)->output_table = table;
      scratch[n] = optional_scratch[n] = 0;  // never runs
    }
  }

  // Multiplies that may run inside the pointwise convolution reading them (engine/
  // mul_fusion.h); the deployment plan takes each where it costs no arena byte.
  const std::vector<FusedMultiply> multiplies = options.out_of_place_depthwise
                                                    ? multiply_fusion_candidates(graph)
                                                    : std::vector<FusedMultiply>{};

  // One arena for activations and scratch (or one per memory region), laid out by the
  // planner at real dtype sizes.
  const std::int64_t runtime_structures =
      ram_breakdown(graph, 0, core::DType::int8, fusion_).runtime_structures;
  // Depthwise convolutions run out of place where that costs no arena byte (the fast device
  // kernel has no in-place path), and a node gets the optional scratch its prepare reported
  // where that costs none either.
  plan_ = (options.out_of_place_depthwise ? plan_arena_for_deployment : plan_arena)(
      graph,
      {.int8_activations = false,
       .algorithm = options.planner,
       .alignment = options.alignment,
       .node_scratch_bytes = scratch,
       .region_capacities = options.region_capacities,
       .home_region_fixed_bytes = static_cast<std::int64_t>(op_data_bytes) + runtime_structures,
       .in_place = options.in_place,
       .no_reuse = options.no_reuse,
       .node_optional_scratch_bytes = optional_scratch,
       .fused_multiplies = multiplies});
  // On the host the regions lie side by side in one block; each keeps its own offsets.
  std::vector<std::int64_t> region_base(plan_.region_peak_bytes.size(), 0);
  for (std::size_t r = 1; r < region_base.size(); ++r) {
    region_base[r] = region_base[r - 1] + plan_.region_peak_bytes[r - 1];
  }
  if (plan_.plan.peak_bytes < 0 || plan_.plan.peak_bytes > core::kMaxArenaBytes) {
    if (error && error_size) {
      std::snprintf(error, error_size,
                    "the activation arena needs %lld bytes, over the %lld MiB limit for the "
                    "engine's arena (kMaxArenaBytes)",
                    static_cast<long long>(plan_.plan.peak_bytes),
                    static_cast<long long>(core::kMaxArenaBytes / core::kMiB));
    }
    return Status::invalid_model;
  }
  arena_.assign(words_for(plan_.plan.peak_bytes), std::max_align_t{});
  auto* base = reinterpret_cast<std::uint8_t*>(arena_.data());
  for (std::size_t t = 0; t < graph.tensors.size(); ++t) {
    if (plan_.tensor_offsets[t] >= 0) {
      tensors_[t].data = base + region_base[static_cast<std::size_t>(plan_.tensor_regions[t])] +
                         plan_.tensor_offsets[t];
    }
  }
  for (std::size_t i = 0; i < plan_.buffers.buffers.size(); ++i) {
    if (plan_.buffers.node[i] >= 0) {
      nodes_[static_cast<std::size_t>(plan_.buffers.node[i])].scratch_offset =
          region_base[static_cast<std::size_t>(plan_.buffer_regions[i])] + plan_.plan.offsets[i];
    }
  }
  // A fused convolution writes the activation's output; its own output tensor names those
  // bytes too (with the in-place plan they are the same buffer).
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    if (const int a = fusion_.activation[n]; a >= 0) {
      const auto pre = static_cast<std::size_t>(graph.nodes[n].outputs[0]);
      const auto out =
          static_cast<std::size_t>(graph.nodes[static_cast<std::size_t>(a)].outputs[0]);
      const std::vector<int>& buffer = plan_.buffers.tensor_buffer;
      if (!options.no_reuse && buffer[pre] != buffer[out]) {
        return fail(Status::invalid_model, n, "fused activation not planned in place");
      }
      tensors_[pre].data = tensors_[out].data;
    }
  }
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) bind_io(n);

  ram_ = ram_breakdown(graph, plan_.plan.peak_bytes, core::DType::int8, fusion_);
  ram_.kernel_state = static_cast<std::int64_t>(op_data_bytes);  // the kernels actually chosen
  return Status::ok;
}

Status CompiledModel::run(void (*after_node)(void* user, int node), void* user) {
  if (!graph_) return Status::invalid_argument;
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    if (fusion_.fused_into[n] < 0) {  // a fused activation ran in its convolution
      const NodeContext ctx = context(n, nullptr, 0);
      const Status s = nodes_[n].kernel->eval(ctx);
      if (s != Status::ok) return s;
    }
    if (after_node) after_node(user, static_cast<int>(n));
  }
  return Status::ok;
}

const std::int8_t* CompiledModel::activation_table(int node) const {
  if (node < 0 || static_cast<std::size_t>(node) >= nodes_.size()) return nullptr;
  const std::int64_t offset = nodes_[static_cast<std::size_t>(node)].table_offset;
  return offset < 0 ? nullptr : reinterpret_cast<const std::int8_t*>(op_data_.data()) + offset;
}

}  // namespace tinyscale::engine
