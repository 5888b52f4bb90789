// TFLite writer: serializes an int8 core::Graph into a .tflite flatbuffer (schema v3,
// identifier "TFL3") that TFLite / TFLite Micro and read_tflite load. It inverts the
// reader's mapping, so read_tflite(write_tflite_buffer(g)) gives back g for a graph the
// reader produced (same tensor ids, names, shapes, data, quantization, nodes, attributes).
//
// Contract:
//   - One subgraph. Graph tensor i is file tensor i; tensors the writer adds (an op's
//     constant operands, an explicit PAD's output) follow them. Buffer 0 is empty (TFLite's
//     convention) and holds every activation; each constant gets its own buffer, 16-byte
//     aligned. Operator codes are deduplicated (builtin_code and deprecated_builtin_code
//     both set; the version is the highest any use of the operator needs).
//   - conv2d with groups == input channels and [C·m, kh, kw, 1] weights becomes
//     DEPTHWISE_CONV_2D with the weights transposed to [1, kh, kw, C·m] (per-channel axis
//     0 → 3); other conv2d become CONV_2D. Explicit pads become SAME or VALID when they
//     equal what TFLite derives for that padding; otherwise a PAD operator (its paddings a
//     new constant) is inserted before the convolution, which is then VALID. Pools need
//     SAME or VALID pads (a PAD would change their results); SPPF's 5×5 stride-1 pools with
//     padding 2 are SAME.
//   - split becomes SPLIT (axis a constant int32 scalar input 0, the data input 1,
//     SplitOptions.num_splits = its number of outputs).
//   - slice becomes SLICE (begin and size constant int32 inputs 1 and 2).
//   - Constant operands an op takes as attributes (RESHAPE shape, MEAN axes [1, 2], PAD
//     paddings, RESIZE_NEAREST_NEIGHBOR size, SPLIT axis, SLICE begin and size) reuse a matching constant the graph
//     holds unread (as the reader leaves them), else are added.
//   - Ops TFLite cannot express here (batch_norm, silu, adaptive_avg_pool, clip other than
//     0..6, a pad with a non-zero value) and float graphs (every node but quantize /
//     dequantize must read and write int8) throw tinyscale::Error naming the node.
//   - Graph::metadata becomes Model.metadata, in order: each entry's bytes in a buffer of
//     its own after the constants' (16-byte aligned); an entry without a name is an error.
//
// Usage:
//   core::Graph g = exporter::read_tflite("in.tflite");
//   exporter::write_tflite(g, "out.tflite");   // temp file + rename
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyscale::exporter {

std::vector<std::uint8_t> write_tflite_buffer(const core::Graph& int8_graph);

// The size in bytes of the .tflite file `graph` becomes: an int8 graph as written; a float
// graph as `tinyscale export` writes it after post-training quantization with int8 I/O
// (quantize_layout: the file's size does not depend on the calibrated values). Constants
// without data (shape-only builds) count at their full size. This is the cost model's
// FLASH figure (costmodel::CostOptions::tflite_file_bytes). It is
// tflite_layout(graph).file_bytes (export/tflite_layout.h): computed from the flatbuffer
// layout rules, nothing serialized.
std::int64_t tflite_file_bytes(const core::Graph& graph);

// write_tflite_buffer, then an atomic write (temporary file beside `path`, renamed over
// it); on failure `path` is untouched and tinyscale::Error names it.
void write_tflite(const core::Graph& int8_graph, const std::string& path);

}  // namespace tinyscale::exporter
