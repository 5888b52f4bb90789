// The engine::TfliteLayout of a .tflite file (engine/tflite_layout.h): what the file holds as
// far as its size and TensorFlow Lite Micro's arena depend on it.
//
//   tflite_layout(graph)             the file `tinyscale export` writes for `graph`, without
//                                    writing it: an int8 graph as write_tflite_buffer writes
//                                    it; a float graph after quantize_layout(graph, float_io)
//                                    (the file's layout does not depend on calibrated values).
//                                    Constants without data (shape-only builds) count at
//                                    their full size. file_bytes is computed from the
//                                    flatbuffers builder's layout rules (alignment, padding,
//                                    vtables and their deduplication, strings, the 16-byte
//                                    aligned buffers), equal to write_tflite_buffer(...).size()
//                                    to the byte; no byte of the file is produced. Throws
//                                    tinyscale::Error where write_tflite or the quantizer would.
//   read_tflite_layout(bytes, where) the same fields read from any .tflite file (verified
//                                    first); file_bytes = bytes.size(). Malformed input throws
//                                    tinyscale::Error naming `where` and what is wrong.
//
// Usage:
//   const engine::TfliteLayout l = exporter::tflite_layout(shape_only_float_graph);
//   l.file_bytes;  // the FLASH the .tflite takes
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/graph.h"
#include "engine/tflite_layout.h"

namespace tinyscale::exporter {

engine::TfliteLayout tflite_layout(const core::Graph& graph, bool float_io = false);
// The same, consuming the graph: a float graph is lowered and quantized in place instead of in
// a copy (costmodel::CostOptions::tflite_layout_moved).
engine::TfliteLayout tflite_layout_moved(core::Graph&& graph, bool float_io = false);

engine::TfliteLayout read_tflite_layout(std::span<const std::uint8_t> bytes,
                                        const std::string& where);

}  // namespace tinyscale::exporter
