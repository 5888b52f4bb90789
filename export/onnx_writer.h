// ONNX writer: saves a float core::Graph as an ONNX model (IR version 7, opset 13) that
// onnx's checker accepts and that PyTorch / onnxruntime load, for training or running the
// network elsewhere.
//
// Contract:
//   - Layout: rank-4 NHWC tensors of the graph are NCHW tensors of the file (inputs and
//     outputs declared with their shapes, e.g. input [1, C, H, W]); other ranks keep their
//     shape. Conv weights OHWI are written OIHW; concat / softmax axes are remapped; a
//     lower-rank constant operand of add / mul is expanded to NHWC rank 4 and transposed so
//     that it broadcasts as it did in the graph.
//   - Names: nodes keep the graph's node names, activations the graph's tensor names,
//     initializers the constants' names ("<node>.weight", "<node>.bias", ...); operands the
//     writer adds are named "<node>.min", "<node>.max", "<node>.pads", "<node>.scales",
//     "<node>.shape". Names are made unique where the graph repeats one.
//   - Ops: conv2d → Conv (group, pads, strides, dilations), batch_norm →
//     BatchNormalization (or folded into the conv first when fold_batch_norm is true),
//     hard_swish → x·HardSigmoid(x; 1/6, 1/2) (HardSwish exists from opset 14 only; this is
//     what torch exports at opset 13), silu → x·Sigmoid(x), clip → Clip with min / max
//     initializers, relu, sigmoid, tanh, leaky_relu, avg_pool → AveragePool (padding not
//     counted, as the engine averages), max_pool, global_avg_pool → GlobalAveragePool,
//     adaptive_avg_pool → AveragePools over Slices and Concats with PyTorch's bins exactly
//     (core::lower_adaptive_avg_pool; one AveragePool when the bins are even), slice → Slice
//     (starts / ends / axes initializers for the axes it cuts),
//     pad → Pad with a pads initializer, concat, resize_nearest → Resize (scales
//     initializer, nearest, asymmetric, floor), split → Split (the equal part sizes an
//     int64 input "<node>.split"), fully_connected on [N, K] → Gemm transB=1,
//     reshape [N,1,1,C] → [N,C] → Flatten (other reshapes: Reshape between transposes to
//     and from NHWC, so the element order is the graph's), softmax, add, mul. A fused
//     activation becomes a Relu / Clip after its node.
//   - Not written (tinyscale::Error naming the node): quantize / dequantize and any
//     non-float tensor (write the float graph), softmax beta ≠ 1, fully_connected on a
//     rank other than 2, pad values other than constant padding.
//   - The model passes onnx::checker::check_model and strict shape inference (inferred
//     shapes must agree with the declared ones) before anything is written; the file is
//     written atomically (temporary file beside it, renamed over it).
//
// Usage:
//   core::Graph g = nets::build_phinet(cfg, {.materialize_weights = true});
//   exporter::write_onnx(g, "phinet.onnx", /*fold_batch_norm=*/false);
#pragma once

#include <string>

#include "core/graph.h"

namespace tinyscale::exporter {

void write_onnx(const core::Graph& float_graph, const std::string& path, bool fold_batch_norm);

// The serialized, checked ModelProto write_onnx writes (for tests and in-memory use).
std::string write_onnx_string(const core::Graph& float_graph, bool fold_batch_norm);

}  // namespace tinyscale::exporter
