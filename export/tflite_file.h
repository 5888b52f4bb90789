// The .tflite file a core::Graph becomes, as data (internal to export/): what
// tflite_writer.cpp serializes with the flatbuffers builder and what tflite_layout.cpp
// sizes arithmetically and reports as an engine::TfliteLayout. Both read the same
// description, in particular the same builtin options, so the written file and its
// computed size cannot disagree on which fields are set.
//
//   FileDescription d = describe_tflite(int8_graph, /*with_data=*/true);  // throws Error
//   serialize: tflite_writer.cpp; size and layout: tflite_layout.cpp
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.h"
#include "export/tflite_schema.h"

namespace tinyscale::exporter::detail {

// A tensor as the file holds it (depthwise filters already transposed).
struct FileTensor {
  std::string_view name;  // the graph's tensor name or one of FileDescription::names
  std::vector<std::int32_t> shape;
  tflite::TensorType type = tflite::TensorType::INT8;
  bool constant = false;
  std::int64_t bytes = 0;          // the length of its buffer (constants)
  std::vector<std::uint8_t> data;  // its buffer's bytes; empty when described without data
  const core::Quantization* quantization = nullptr;  // null or empty: none
  int quantized_dimension = 0;
  bool quantized() const { return quantization != nullptr && !quantization->empty(); }
};

// An operator's builtin options table: `type` names the table (NONE: none) and the fields
// that table has are meaningful, the others keep these values (which are not written).
struct FileOptions {
  tflite::BuiltinOptions type = tflite::BuiltinOptions::NONE;
  tflite::Padding padding = tflite::Padding::SAME;
  int stride_w = 1, stride_h = 1;
  int dilation_w = 1, dilation_h = 1;
  int filter_w = 1, filter_h = 1;  // Pool2DOptions
  int depth_multiplier = 1;        // DepthwiseConv2DOptions
  tflite::ActivationFunctionType fused = tflite::ActivationFunctionType::NONE;
  bool keep_dims = false;  // FullyConnectedOptions.keep_num_dims, ReducerOptions.keep_dims
  int axis = 0;            // ConcatenationOptions
  int num_splits = 0;      // SplitOptions
  float beta = 1.0f;       // SoftmaxOptions
  float alpha = 0.0f;      // LeakyReluOptions
  std::vector<std::int32_t> new_shape;  // ReshapeOptions
};

struct FileOperator {
  tflite::BuiltinOperator op = tflite::BuiltinOperator::ADD;
  int version = 1;
  std::vector<std::int32_t> inputs;
  std::vector<std::int32_t> outputs;
  FileOptions options;
};

struct FileMetadata {
  std::string_view name;
  std::size_t bytes = 0;
  const std::vector<std::uint8_t>* data = nullptr;
};

struct FileDescription {
  std::vector<FileTensor> tensors;      // graph tensor i is file tensor i; added ones follow
  std::vector<FileOperator> operators;  // in execution order
  std::vector<std::int32_t> inputs, outputs;
  std::vector<FileMetadata> metadata;
  // Operator codes: one per builtin, in order of first use, at the highest version any use
  // needs; code_of[k] is operator k's index into them.
  std::vector<std::pair<tflite::BuiltinOperator, int>> codes;
  std::vector<std::uint32_t> code_of;
  std::deque<std::string> names;  // storage for the names of tensors the writer adds
};

// The file an int8 graph becomes (the writer's contract, tflite_writer.h). `with_data`:
// every constant's bytes are copied (depthwise filters transposed) into FileTensor::data;
// without, constants may lack data (shape-only builds) and only their lengths are known.
// Throws tinyscale::Error naming the node, as write_tflite does. `validate`: check the graph
// first (core::Graph::validate); false only for a graph known valid (quantize_layout's).
FileDescription describe_tflite(const core::Graph& int8_graph, bool with_data, bool validate);

}  // namespace tinyscale::exporter::detail
