// Graph passes: rewrites of a float graph into the form an int8 deployment executes.
//
// Every pass works on shape-only graphs (constants without data, as the solver builds
// them) and on materialized ones, where it also rewrites the weights. The order that
// lower_for_deployment applies is the order TFLite converters use:
//   expand_silu          silu(x) -> mul(x, sigmoid(x))     (TFLite has no SiLU builtin)
//   fold_pad_into_conv   pad(value 0) feeding only a conv2d becomes the conv's padding
//   fold_batch_norm      conv2d -> batch_norm becomes one conv2d with scaled weights + bias
//   fuse_activations     relu / clip(0,6) after conv2d, fully_connected or add becomes the
//                        producer's fused activation
//   add_conv_bias        a conv2d without bias gets a zero one, "<conv>.zero_bias" (TFLite's
//                        quantized CONV_2D requires a bias: kernels/conv.cc "has_bias was
//                        not true")
// A pass only rewrites a producer whose output has no other reader and is not a graph
// output, so the graph's results are unchanged.
//
// Usage:
//   core::Graph deployed = core::lower_for_deployment(float_graph);
#pragma once

#include "core/graph.h"

namespace tinyscale::core {

void expand_silu(Graph& graph);
void fold_pad_into_conv(Graph& graph);
void fold_batch_norm(Graph& graph);
void fuse_activations(Graph& graph);
void add_conv_bias(Graph& graph);
// Drops the nodes a pass removed (marked by an empty output list). Tensor ids are kept, so
// passes can run one after another; compact() then drops unreferenced tensors once.
void remove_dead_nodes(Graph& graph);
// remove_dead_nodes, then drops tensors nothing refers to and renumbers tensor ids.
void compact(Graph& graph);

Graph lower_for_deployment(Graph graph);

}  // namespace tinyscale::core
