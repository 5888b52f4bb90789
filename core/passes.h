// Graph passes: rewrites of a float graph into the form an int8 deployment executes.
//
// Every pass works on shape-only graphs (constants without data, as the solver builds
// them) and on materialized ones, where it also rewrites the weights. The order that
// lower_for_deployment applies is the order TFLite converters use:
//   expand_silu          silu(x) -> mul(x, sigmoid(x))     (TFLite has no SiLU builtin)
//   fold_pad_into_conv   pad(value 0) feeding only a conv2d becomes the conv's padding
//   fold_batch_norm      conv2d -> batch_norm becomes one conv2d with scaled weights + bias
//   lower_batch_norm     a batch_norm left unfolded (after an activation, on the input) becomes
//                        mul(x, "<bn>.scale") -> add(., "<bn>.shift") with per-channel [C]
//                        constants scale = gamma / sqrt(var + eps), shift = beta - mean · scale
//                        (what TFLite's converter makes of a lone BatchNormalization)
//   lower_adaptive_avg_pool  adaptive_avg_pool (TFLite and ONNX have no such operator) becomes
//                        average pools over slices of its input, concatenated, with PyTorch's
//                        AdaptiveAvgPool2d bins exactly: bin i of In -> Out covers
//                        [floor(i·In/Out), ceil((i+1)·In/Out)). Consecutive bins of one size
//                        whose starts step evenly form a run, computed by one avg_pool (kernel:
//                        the size, stride: the step) over a slice holding just that run (no
//                        slice when the run is the whole axis). Even bins (In divisible by Out)
//                        are a single avg_pool. With few runs (one axis even, or 2 x 2) each
//                        block of rows x columns is pooled in one step; otherwise the rows are
//                        pooled first, then the columns (average of averages over the same
//                        rectangle; int8 then rounds twice, within one step of a single pool).
//                        Slice, pool and concat names start with the pool's; the last node
//                        writes the pool's output tensor.
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
void lower_batch_norm(Graph& graph);
void lower_adaptive_avg_pool(Graph& graph);
void fuse_activations(Graph& graph);
void add_conv_bias(Graph& graph);
// Drops the nodes a pass removed (marked by an empty output list). Tensor ids are kept, so
// passes can run one after another; compact() then drops unreferenced tensors once.
void remove_dead_nodes(Graph& graph);
// remove_dead_nodes, then drops tensors nothing refers to and renumbers tensor ids.
void compact(Graph& graph);

Graph lower_for_deployment(Graph graph);

}  // namespace tinyscale::core
