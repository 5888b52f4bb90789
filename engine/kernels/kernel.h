// The kernel contract: one op = one file in engine/kernels/, registering one KernelInfo per
// input dtype it runs (int8 following TFLite Micro's reference kernels bit for bit; float32
// as the reference the quantizer calibrates on).
//
//   prepare(ctx, &scratch)  validates shapes, dtypes, attributes and quantization, and
//                           precomputes everything eval needs (requantization multipliers
//                           and shifts, activation ranges, lookup tables) into ctx.op_data,
//                           a zeroed block of op_data_size bytes that lives as long as the
//                           compiled model. Constant inputs' data is readable; activation
//                           data is not (it has no arena address yet). It may ask for a
//                           scratch buffer (bytes, live only while the node runs). On failure
//                           it writes one line into ctx.error naming what is wrong.
//   eval(ctx)               computes the outputs from the inputs. No allocation, no I/O.
//
// The int8 math lives apart from this glue in a freestanding device kernel
// (engine/kernels/device/<op>.{h,cpp}: plain params struct, plain functions, no heap or
// core::Graph) that eval() calls and firmware calls too, so host and device are bit-identical
// by construction; KernelInfo::device_function names it. See engine/kernels/device/README.md.
//
// Usage (engine/engine.cpp):
//   const KernelInfo* k = find_kernel(node.op, graph.tensor(node.inputs[0]).dtype);
//   k->prepare(ctx, &scratch_bytes);  ...  k->eval(ctx);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "core/graph.h"
#include "engine/status.h"

namespace tinyscale::engine {

// One tensor as a kernel sees it: its metadata and where its bytes are.
struct TensorRef {
  const core::Tensor* tensor = nullptr;
  void* data = nullptr;  // constant data or an arena address; null during prepare for activations

  template <typename T>
  T* as() const {
    return static_cast<T*>(data);
  }
  const core::Shape& shape() const { return tensor->shape; }
};

struct NodeContext {
  const core::Graph* graph = nullptr;
  const core::Node* node = nullptr;
  const TensorRef* inputs = nullptr;  // node.inputs order
  int num_inputs = 0;
  const TensorRef* outputs = nullptr;
  int num_outputs = 0;
  void* op_data = nullptr;  // op_data_size zeroed bytes, persistent
  void* scratch = nullptr;  // the scratch bytes prepare asked for (eval only)
  // Set by prepare where a faster device kernel path of the node would use scratch if the plan
  // has it free (a fully connected layer's int16 copy of its input); the deployment plan gives
  // it only where the peak stays (engine::plan_arena_for_deployment). Never passed to eval.
  std::int64_t optional_scratch_bytes = 0;
  char* error = nullptr;  // prepare's message buffer
  std::size_t error_size = 0;

  template <typename T>
  T& data() const {
    return *static_cast<T*>(op_data);
  }
  // printf-style message into `error`; returns `status` so prepare can `return fail(...)`.
  template <typename... Args>
  Status fail(Status status, const char* format, Args... args) const {
    if (error && error_size) std::snprintf(error, error_size, format, args...);
    return status;
  }
};

struct KernelInfo {
  core::OpType op;
  core::DType input_dtype;  // the dtype of the node's first input this kernel runs
  std::size_t op_data_size;
  Status (*prepare)(NodeContext& ctx, std::int64_t* scratch_bytes);
  Status (*eval)(const NodeContext& ctx);
  // Bytes this node needs after the fixed op_data struct (e.g. one requantization multiplier
  // per output channel), so per-op state is sized by the model, not by a maximum. Null: none.
  std::size_t (*extra_op_data)(const core::Graph& graph, const core::Node& node) = nullptr;
  // The freestanding device kernel eval() calls (engine/kernels/device/, e.g. "conv2d_s8"),
  // or null for a host-only kernel. When set, op_data BEGINS with that op's device params
  // struct (e.g. device::Conv2dS8Params), filled by prepare(); its pointer members point
  // into the rest of this node's op_data (per-channel multipliers, shifts, tables) or at
  // constant tensors, valid while the compiled model lives. A code generator reads the
  // params there and prints them as const data. See engine/kernels/device/README.md.
  const char* device_function = nullptr;
};

// Total op_data bytes of a node (fixed struct + its extra bytes), 8-aligned.
inline std::size_t op_data_bytes(const KernelInfo& k, const core::Graph& graph,
                                 const core::Node& node) {
  const std::size_t extra = k.extra_op_data ? k.extra_op_data(graph, node) : 0;
  return (k.op_data_size + extra + 7) / 8 * 8;
}

// Per-channel requantization (conv2d, fully_connected): `channels` int32 multipliers then
// `channels` int8 shifts, stored after the kernel's fixed op_data struct `Header`.
struct ChannelRequant {
  std::int32_t* multipliers;
  std::int8_t* shifts;
};
inline std::size_t channel_requant_bytes(std::int64_t channels) {
  return static_cast<std::size_t>(channels) * (sizeof(std::int32_t) + sizeof(std::int8_t));
}
// One entry per scale of the node's weight (input 1): per-channel or per-tensor. A weight
// not quantized yet (a float graph the cost model sizes for int8) counts as per-channel,
// tinyscale's quantizer default.
inline std::size_t weight_channel_requant_bytes(const core::Graph& graph, const core::Node& node) {
  const core::Tensor& weight = graph.tensor(node.inputs[1]);
  const std::size_t scales = weight.quantization.scales.size();
  return channel_requant_bytes(scales > 0 ? static_cast<std::int64_t>(scales) : weight.shape[0]);
}
template <typename Header>
ChannelRequant channel_requant(void* op_data, std::int64_t channels) {
  static_assert(sizeof(Header) % alignof(std::int32_t) == 0, "multipliers must stay aligned");
  auto* base = static_cast<std::uint8_t*>(op_data) + sizeof(Header);
  return {reinterpret_cast<std::int32_t*>(base),
          reinterpret_cast<std::int8_t*>(base + static_cast<std::size_t>(channels) *
                                                    sizeof(std::int32_t))};
}

// The registered kernel for an op and its first input's dtype, or null.
const KernelInfo* find_kernel(core::OpType op, core::DType input_dtype);

}  // namespace tinyscale::engine
