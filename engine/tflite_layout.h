// engine::TfliteLayout — what a .tflite file holds, as far as its size and TensorFlow Lite
// Micro's arena depend on it: the tensors (type, shape, whether a buffer holds data, the
// length of the quantization vectors), the operators (builtin code, version, operands and the
// builtin options their kernels read), the subgraph's inputs and outputs and the metadata
// names. Codes and enum values are the TFLite schema's (schema v3), as plain integers, so
// that engine needs neither flatbuffers nor the generated schema.
//
// Two producers, both in export/ (tflite_layout.h there):
//   exporter::tflite_layout(graph)          the file `tinyscale export` would write, without
//                                           serializing it (the solver's path; file_bytes is
//                                           computed from the flatbuffer layout rules)
//   exporter::read_tflite_layout(bytes)     any .tflite file, as it is
// One consumer: engine::predict_tflm_arena (tflm_arena.h), TensorFlow Lite Micro's arena.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinyscale::engine {

// TFLite schema v3 TensorType values the predictor distinguishes.
namespace tflite_type {
inline constexpr int float32 = 0;
inline constexpr int float16 = 1;
inline constexpr int int32 = 2;
inline constexpr int uint8 = 3;
inline constexpr int int64 = 4;
inline constexpr int boolean = 6;
inline constexpr int int16 = 7;
inline constexpr int int8 = 9;
}  // namespace tflite_type

// Bytes per element of a TensorType (0 for types the predictor does not size).
int tflite_type_bytes(int type);

struct TfliteTensorLayout {
  int type = tflite_type::int8;
  std::vector<std::int32_t> shape;  // as the file stores it (may be empty: a scalar)
  bool has_shape = true;            // false: the file has no shape vector at all
  bool constant = false;            // its buffer holds data
  bool variable = false;            // Tensor.is_variable
  // Tensor.quantization: present with `scales` scale and `zero_points` zero-point entries
  // (per-channel when more than one) along `quantized_dimension`.
  bool quantized = false;
  int scales = 0;
  int zero_points = 0;
  int quantized_dimension = 0;

  std::int64_t elements() const;  // product of shape (1 for a scalar)
  std::int64_t bytes() const { return elements() * tflite_type_bytes(type); }
};

// The builtin options a TFLite Micro kernel's Init/Prepare reads. Fields an operator's options
// table does not have keep their defaults.
struct TfliteOptionsLayout {
  int type = 0;          // BuiltinOptions union tag, 0 = NONE
  int padding = 0;       // Padding: SAME 0, VALID 1
  int stride_w = 1;
  int stride_h = 1;
  int dilation_w = 1;
  int dilation_h = 1;
  int filter_w = 1;      // Pool2DOptions
  int filter_h = 1;
  int depth_multiplier = 1;
  int fused_activation = 0;  // ActivationFunctionType
  bool keep_num_dims = false;     // FullyConnectedOptions, ReducerOptions (keep_dims)
  int weights_format = 0;         // FullyConnectedOptions
  int axis = 0;                   // ConcatenationOptions
  int num_splits = 0;             // SplitOptions
  float beta = 1.0f;              // SoftmaxOptions
  float alpha = 0.0f;             // LeakyReluOptions
  bool align_corners = false;     // ResizeNearestNeighborOptions
  bool half_pixel_centers = false;
  std::vector<std::int32_t> new_shape;  // ReshapeOptions
};

struct TfliteOperatorLayout {
  int builtin = 0;  // BuiltinOperator
  int version = 1;  // OperatorCode.version
  std::vector<std::int32_t> inputs;  // -1: an optional operand left out
  std::vector<std::int32_t> outputs;
  std::vector<std::int32_t> intermediates;
  TfliteOptionsLayout options;
};

struct TfliteLayout {
  std::vector<TfliteTensorLayout> tensors;      // subgraph 0's
  std::vector<TfliteOperatorLayout> operators;  // subgraph 0's, in execution order
  std::vector<std::int32_t> inputs;
  std::vector<std::int32_t> outputs;
  int subgraphs = 1;
  int buffers = 0;                         // Model.buffers length
  int operator_codes = 0;                  // Model.operator_codes length
  std::vector<std::string> metadata_names;  // Model.metadata, in order
  std::int64_t file_bytes = 0;             // the size of the .tflite file
};

}  // namespace tinyscale::engine
