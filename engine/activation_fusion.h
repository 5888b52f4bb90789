// Activation fusion: an element-wise int8 activation that directly follows a convolution is
// applied in the convolution's output stage, so the pre-activation tensor is never written
// and the activation never runs as a node of its own.
//
// A conv2d node c fuses the node a that reads its output when
//   - a is hard_swish, sigmoid, tanh, leaky_relu, relu, clip or an int8 -> int8 quantize
//     (one input, one output; each output element a function of the same-index input element);
//   - a is the only node reading c's output (once), and that output is not a graph output;
//   - c's output and a's output are int8 (with `int8_activations`, the cost model's sizing of a
//     float graph for an int8 deployment, any same-dtype pair counts as int8).
// The activation is a function of one int8 value, so it is a 256-entry table: the compiler
// (engine::CompiledModel::compile) prepares a's kernel as usual, runs a's own device kernel
// over the 256 int8 inputs (activation_table_s8) and hands the table to c's device params
// (device::Conv2dS8Params::output_table). c then stores table[q + 128] for each requantized
// and clamped value q, straight into a's output tensor: bit for bit what a would have
// computed from c's output. In the arena plan c's output already shares a's buffer
// (engine/liveness.h: a runs in place over an input that dies at it; the conditions above
// imply it), so fusion changes no arena byte. Without that sharing a's output would not be
// live at c's step, so compile fuses only with the in-place (or the no-reuse) plan. Fusion
// removes a's pass over the tensor, a's op_data and runtime structures (the RAM formula,
// engine::ram_breakdown, counts the 256-byte table in c's op_data instead), and in the
// generated code a's call and params (the table is const data, FLASH).
//
// This one function decides for engine::compile, engine::ram_breakdown (hence the cost
// model) and the code generator (through the compiled model), so their figures agree.
//
// Usage:
//   const engine::ActivationFusion f = engine::plan_activation_fusion(graph, false);
//   f.activation[c];  // the node fused into conv2d c, or -1
//   f.fused_into[a];  // the conv2d applying activation a, or -1
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.h"

namespace tinyscale::engine {

// Entries of an int8 activation table: table[q + 128] is the activation of q.
inline constexpr std::int64_t kActivationTableBytes = 256;

struct ActivationFusion {
  std::vector<int> activation;  // per node: for a conv2d, the activation node it applies, or -1
  std::vector<int> fused_into;  // per node: for an activation, the conv2d applying it, or -1
  int count = 0;                // fused pairs
};

// Per tensor of `graph`: the node that reads it where one node reads it, once, after the node
// producing it, and it is not a graph output; else -1. What a fusion needs of a tensor it
// removes (here and engine/mul_fusion.h).
std::vector<int> sole_readers(const core::Graph& graph);

// True for the ops a convolution may apply as a table (listed above).
bool op_fuses_into_conv(core::OpType op);

// The fused pairs of `graph` (see the top of this file).
ActivationFusion plan_activation_fusion(const core::Graph& graph, bool int8_activations);

// No fusion at all (CompileOptions::fuse_activations off): every entry -1.
ActivationFusion no_activation_fusion(const core::Graph& graph);

// table[i] = the activation `op` of int8 value i - 128, computed by the op's device kernel
// (engine/kernels/device/<op>.cpp) with `device_params` (the node's prepared params, whose
// element count is replaced by 256). False for an op op_fuses_into_conv rejects.
bool activation_table_s8(core::OpType op, const void* device_params, std::int8_t* table);

}  // namespace tinyscale::engine
