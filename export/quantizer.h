// Post-training int8 quantization of a float graph, following the TFLite quantization
// spec so the result runs bit-exactly on TFLite Micro and on tinyscale's engine.
//
//   1. The graph is lowered for deployment (BatchNorm folded, or mul + add where it cannot
//      be, ReLU/ReLU6 fused, SiLU expanded, zero padding folded into convolutions, adaptive
//      average pooling as pools over slices).
//   2. Calibration: the lowered float graph runs on the engine's float32 reference kernels
//      over the calibration inputs; every activation tensor's range is recorded (min/max,
//      or a symmetric percentile of |x| around the observed values). A tensor read only
//      by ops that saturate keeps no int8 steps past the saturation point: a hard_swish
//      input stops at -3, a RELU input at 0, a LOGISTIC input at ±8 (exact in int8).
//   3. Rewriting: activations become int8 asymmetric per-tensor (the range always includes
//      0); conv2d / fully_connected weights int8 symmetric per-channel in [-127, 127];
//      biases int32 with scale = input scale × weight scale (where a bias would not fit
//      the middle half of int32, its channel's weight scale is enlarged until it does, as
//      TFLite's converter does, and a warning names the layer); LOGISTIC and SOFTMAX outputs
//      get scale 1/256 and zero point -128, TANH 1/128 and 0; pools, reshape, pad,
//      resize, slice and split (every part) keep their input's quantization; a constant
//      operand of add / mul is int8 per-tensor asymmetric over its own values. The graph's
//      input and output are int8 unless float I/O is asked for, which adds QUANTIZE /
//      DEQUANTIZE nodes.
//
// Usage:
//   std::vector<std::vector<float>> calib = ...;  // NHWC float inputs, one per sample
//   QuantizeResult r = exporter::quantize_with_warnings(float_graph, calib, {});
//   for (const std::string& w : r.warnings) report(w);   // the CLI: "tinyscale: warning: ..."
//   core::Graph q = exporter::quantize(float_graph, calib, {});   // the same, warnings dropped
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tinyscale::exporter {

enum class RangeMethod { min_max, percentile };

struct QuantizeOptions {
  RangeMethod ranges = RangeMethod::min_max;
  double percentile = 99.99;  // for RangeMethod::percentile: kept share of |x - centre|
  bool float_io = false;      // float input/output with QUANTIZE / DEQUANTIZE nodes
  // Called after each calibration sample (for a progress bar): done, total.
  void (*progress)(void* user, int done, int total) = nullptr;
  void* progress_user = nullptr;
};

struct QuantizeResult {
  core::Graph graph;  // the int8 graph
  // What the user should know about it, one sentence each naming the layer (a weight scale
  // enlarged so the int32 bias fits). The library prints nothing itself.
  std::vector<std::string> warnings;
};

// Throws tinyscale::Error when the graph cannot be quantized (constants without data, an
// op the engine cannot run in float, a calibration sample of the wrong size or holding a
// NaN or infinite value).
QuantizeResult quantize_with_warnings(const core::Graph& float_graph,
                                      std::span<const std::vector<float>> calibration,
                                      const QuantizeOptions& options);
// quantize_with_warnings(...).graph: for callers that have nobody to tell.
core::Graph quantize(const core::Graph& float_graph,
                     std::span<const std::vector<float>> calibration,
                     const QuantizeOptions& options);

// The int8 graph `quantize` would produce, without calibration or weight values: the same
// nodes, tensors, dtypes and per-channel parameter counts, every range taken as [-1, 1] and
// constants without data left without data. What the file size of a network depends on
// (see tflite_file_bytes), computed in a fraction of a calibration's time.
core::Graph quantize_layout(const core::Graph& float_graph, bool float_io = false);
// The same, consuming the graph (no copy of it).
core::Graph quantize_layout(core::Graph&& float_graph, bool float_io = false);

// Refuses a calibration set of `samples` float inputs of the graph's input shape whose bytes
// would pass core::kMaxCalibrationBytes (core/limits.h), before any is allocated; `origin`
// names where the samples come from in the message. The functions below call it.
void check_calibration_bytes(const core::Graph& float_graph, std::int64_t samples,
                             const std::string& origin);

// Samples that exercise a network without real data: seeded uniform values in [-1, 1]
// (the CLI prints a warning when it falls back to these).
std::vector<std::vector<float>> synthetic_calibration(const core::Graph& float_graph, int samples,
                                                      std::uint32_t seed);
// Samples for a detector fed pixels / 255 (YOLO, as recipes/letterbox feeds it): seeded
// picture-like images in [0, 1], a smooth two-colour gradient with a few flat rectangles and
// a little noise, so that calibration and the data-dependent init see the statistics of
// images rather than of white noise.
std::vector<std::vector<float>> synthetic_images(const core::Graph& float_graph, int samples,
                                                 std::uint32_t seed);

}  // namespace tinyscale::exporter
