// The op table: for every op of core/ops.def, its name, ONNX and TFLite mapping, input
// arity, shape inference and cost counting. The cost model, passes, exporters, engine and
// tests all read this one table.
//
// Counting conventions (the ones micromind users compare against):
//   params          trainable parameters as torchinfo counts them: conv / fully_connected
//                   weight + bias elements, batch_norm gamma + beta (not running stats).
//   macs            conventional multiply-accumulates: conv2d out_elements × (C_in/groups ×
//                   kh × kw), fully_connected batch × in × out; everything else 0.
//   macs_torchinfo  torchinfo's total_mult_adds: conv2d (weight + bias elements) × N×H_out×W_out,
//                   batch_norm and fully_connected batch × their parameter count.
//   scratch_bytes   extra arena bytes the int8 kernel needs while the node runs.
//
// slice (TFLite SLICE, ONNX Slice) copies the block attrs.slice_begin + [0, slice_size) of its
// input; the lowering of adaptive_avg_pool cuts its uneven bins out with it.
//
// Multiple outputs: split (TFLite SPLIT, ONNX Split) cuts its input into as many equal parts
// along attrs.axis as the node has outputs (Graph::add_node_with_outputs creates them).
//
// Usage:
//   const core::OpInfo& info = core::op_info(node.op);
//   core::Shape out = info.infer_shape(graph, node);   // throws tinyscale::Error
#pragma once

#include <cstdint>
#include <string_view>

#include "core/graph.h"

namespace tinyscale::core {

struct OpInfo {
  const char* name;       // snake_case, the same in every folder
  const char* onnx_op;    // "" when the op has no single ONNX equivalent
  const char* tflite_op;  // "" when it is lowered before TFLite export
  int min_inputs;
  int max_inputs;
  int min_outputs;  // 1 for every op but split, whose outputs are its equal parts
  int max_outputs;
  // The shape of every output (split's parts all have the same shape).
  Shape (*infer_shape)(const Graph& graph, const Node& node);
  std::int64_t (*params)(const Graph& graph, const Node& node);
  std::int64_t (*macs)(const Graph& graph, const Node& node);
  std::int64_t (*macs_torchinfo)(const Graph& graph, const Node& node);
  std::int64_t (*scratch_bytes)(const Graph& graph, const Node& node);
};

#define TINYSCALE_OP(name, onnx, tflite) +1
inline constexpr int kOpCount = 0
#include "core/ops.def"
    ;
#undef TINYSCALE_OP

// The most outputs a split may have (the engine's kernels bound their state by it).
inline constexpr int kMaxSplitOutputs = 64;

const OpInfo& op_info(OpType op);
const char* op_name(OpType op);
// Parses a snake_case op name; returns false when unknown.
bool parse_op_name(std::string_view name, OpType* op);

}  // namespace tinyscale::core
