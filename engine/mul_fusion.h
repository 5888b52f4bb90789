// Multiply fusion: an int8 multiply whose output only a pointwise convolution reads (PhiNet's
// squeeze-excite gate [1,H,W,C] x [1,1,1,C] before the block's projection; XiNet's attention
// x * sigmoid(att) before the next block's compression) runs inside that convolution on the
// DSP targets: the convolution forms each pixel's products as it takes the pixel
// (device/conv2d_fast.h, conv2d_s8_fast_*_mul), so the multiply makes no pass of its own.
//
// A pair (multiply m, convolution c) is a candidate (multiply_fusion_candidates) when
//   - m is an int8 mul of two activations, one with the output's shape (one batch) and the
//     other either
//     of that shape (attention) or one value per channel (a squeeze-excite gate: every axis 1
//     but the last, which is C);
//   - m's output y is not a graph output and is read once, by c, as c's input 0;
//   - c is an int8 conv2d with a 1x1 kernel, stride 1, no padding, one group, on a 4-D map.
// Shapes only, not the requantization (the fused kernel takes any), so the cost model's
// layout of a float graph and the calibrated model fuse alike.
// The arena plan (engine/liveness.h FusedMultiply) then keeps the operand m does not run in
// place over live until c: c reads the products from m's in-place buffer (y and the operand
// it overwrites share those bytes) and the other operand at c's step. The deployment plan
// (plan_arena_for_deployment) takes a candidate only where that leaves the peak as it is and
// m runs in place; engine::CompiledModel::fused_multiply_into() lists the pairs taken. The
// host engine still runs m and c one after the other (the same bytes); the code generator
// emits one fused call where the target runs the fast pointwise kernel and the pair pays
// (multiply_fusion_pays), and both calls elsewhere.
//
// Usage:
//   const std::vector<engine::FusedMultiply> c = engine::multiply_fusion_candidates(graph);
#pragma once

#include <vector>

#include "core/graph.h"
#include "engine/liveness.h"

namespace tinyscale::engine {

// The pairs of `graph` that may fuse (every condition above but the params'), in node order.
// int8_activations: a float graph's tensors count as int8 (the cost model's view of a float
// graph about to be deployed as int8).
std::vector<FusedMultiply> multiply_fusion_candidates(const core::Graph& graph,
                                                      bool int8_activations = false);

// Whether a candidate pair runs as one call in the generated code of a DSP target: where the
// fused pointwise kernel takes the products of most pixels straight into its expansion
// (device::conv2d_s8_fast_mul_expansion_applies, from the convolution's shapes). Elsewhere
// the kernel would write the products over its input first, mul_s8_fast's own work in a
// costlier loop (fusing every candidate: the KWS PhiNet +0.6% instructions), so the two calls
// stay. The code generator and the cost model's instruction model both decide by it.
bool multiply_fusion_pays(const core::Graph& graph, const FusedMultiply& pair);

}  // namespace tinyscale::engine
