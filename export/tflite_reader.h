// TFLite reader: loads an int8 (or float32) .tflite flatbuffer into a core::Graph that the
// engine, the cost model and the dump understand.
//
// Contract:
//   - Every byte is untrusted. The buffer is run through the flatbuffers verifier (with the
//     "TFL3" identifier) and then every index, size, shape, quantization array and operator
//     arity is checked before use. Anything wrong throws tinyscale::Error whose message
//     starts with the file name and names the operator (index and TFLite name) or tensor
//     (index and name) and what was expected versus found. A corrupt file never crashes.
//   - Sizes are bounded before anything is allocated from them (core/limits.h): a file over
//     kMaxModelFileBytes, a tensor whose shape and dtype come to more than kMaxTensorBytes
//     (products in int64, overflow refused), constants adding up to more than
//     kMaxConstantBytes are refused with a message naming the limit and the bytes asked for.
//   - Only subgraph 0 is read. Tensor i of the file is tensor id i of the graph (so a
//     `--dump-tensors` t<i>.bin matches the file's tensor index), with the file's names,
//     NHWC shapes, dtypes (int8, int32, float32; others are rejected), constant data and
//     quantization (scales, zero points, axis).
//   - Operators become nodes in file order (TFLite's execution order). Padding SAME/VALID
//     becomes explicit pads with TFLite's formula. DEPTHWISE_CONV_2D becomes conv2d with
//     groups = input channels; its weights are transposed in place (same tensor id) from
//     TFLite's [1, kh, kw, C·m] to tinyscale's [C·m, kh, kw, 1], per-channel axis 3 → 0.
//     Constant inputs an op consumes as attributes (PAD paddings, MEAN axes, RESHAPE shape,
//     RESIZE size, SPLIT axis, SLICE begin and size; a SLICE size of -1 runs to the end of
//     its axis) stay in the tensor list but are not node inputs; an omitted
//     optional input (index -1, e.g. no bias) just makes the node's input list shorter.
//     SPLIT (equal parts; num_splits must match its outputs) is the one operator with
//     several outputs; its node is named after the first.
//   - Unsupported operators (and custom ops) are rejected naming the operator, its version
//     and the list of supported operators. The result passes core::Graph::validate().
//   - Model.metadata entries become Graph::metadata (name + bytes, file order), with their
//     buffer index and size checked. The converter's own entries about the file it wrote
//     ("min_runtime_version", "CONVERSION_METADATA") are dropped: they would be stale in a
//     file tinyscale writes back. read_tflite(write_tflite(g)) keeps g's other entries.
//
// Usage:
//   core::Graph g = exporter::read_tflite("kws_ref_model/model.tflite");
//   std::cout << core::dump(g);
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/graph.h"

namespace tinyscale::exporter {

// Reads and converts the file at `path`; the path names the file in error messages.
core::Graph read_tflite(const std::string& path);

// Converts a .tflite held in memory; `origin` names it in error messages.
core::Graph read_tflite_buffer(std::span<const std::uint8_t> bytes, const std::string& origin);

// The TFLite operators read_tflite maps, comma-separated ("CONV_2D, DEPTHWISE_CONV_2D, ...").
const char* tflite_supported_operators();

}  // namespace tinyscale::exporter
