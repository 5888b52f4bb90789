// The most a file may make tinyscale allocate, in one place.
//
// Every size read from a file (a tensor's shape, a WAV header's frame count, an image
// header's width and height, a JSON document's length) is checked against one of these
// before anything is allocated from it, with overflow-safe arithmetic, and a file over a
// limit is refused with a tinyscale::Error that names the file, the limit, the value asked
// for and where (`limit_error`). The values are generous for real use (the largest real
// boards have tens of MB of RAM; a host run of a YOLO at 640 needs some hundred MB) and
// well below libFuzzer's -malloc_limit_mb=1024 for any one allocation, so a fuzzer sees an
// oversized declaration as a clean rejection, not an out-of-memory crash.
//
// Usage:
//   const std::int64_t bytes = core::shape_bytes(shape, dtype_size(dtype));  // -1: overflow
//   if (bytes < 0 || bytes > core::kMaxTensorBytes)
//     throw Error(core::limit_error(path + ": tensor 3 'x'", bytes, core::kMaxTensorBytes,
//                                   "kMaxTensorBytes", "for one tensor"));
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyscale::core {

inline constexpr std::int64_t kMiB = std::int64_t{1} << 20;

// One tensor (weights, an activation, a model input or output): the largest real one, a
// YOLO's 640x640 float activation with 32 channels, is 52 MB.
inline constexpr std::int64_t kMaxTensorBytes = 256 * kMiB;
// The engine's arena (activations and per-node scratch, all regions, int8 or float): a host
// float run of a YOLO at 640 needs some hundred MB; half of libFuzzer's 1 GiB malloc limit.
inline constexpr std::int64_t kMaxArenaBytes = 512 * kMiB;
// The engine's per-node kernel state (op_data: multipliers, shifts, tables): tiny in real
// models (a few bytes per output channel).
inline constexpr std::int64_t kMaxKernelStateBytes = 64 * kMiB;
// Every constant (weights, biases, folded values) a model reader holds, together: real MCU
// models have well under 10 MB of weights.
inline constexpr std::int64_t kMaxConstantBytes = 512 * kMiB;
// A model file read into memory whole (.tflite, .onnx): real MCU models are under 10 MB, a
// float YOLO some tens of MB.
inline constexpr std::int64_t kMaxModelFileBytes = 512 * kMiB;
// A calibration set held in memory (samples x the model input's float bytes): 32 float
// images of 640x640x3 are 157 MB.
inline constexpr std::int64_t kMaxCalibrationBytes = 512 * kMiB;
// Samples decoded from one audio file (frames x channels, and after resampling): 2^25 is
// 35 minutes of mono 16 kHz audio (128 MiB as float); the recipes use 1 to 10 s clips.
inline constexpr std::int64_t kMaxAudioSamples = std::int64_t{1} << 25;
// An audio file read whole: 2^25 samples of 32-bit float WAV are 128 MiB.
inline constexpr std::int64_t kMaxAudioFileBytes = 256 * kMiB;
// Pixels of one decoded image: 2^26 is 8192 x 8192 (192 MiB as RGB); cameras give 12-50 M.
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 26;
// An image file read whole: an uncompressed 8192x8192 BMP (kMaxImagePixels) is 192 MiB.
inline constexpr std::int64_t kMaxImageFileBytes = 256 * kMiB;
// A JSON document read whole (boards, class embeddings): real ones are a few kB to a few MB
// (512 classes x 512 floats as text is ~3 MB); a parsed document takes up to ~10x its text.
inline constexpr std::int64_t kMaxJsonFileBytes = 16 * kMiB;
// Nesting of a JSON document: the real ones are 2 or 3 deep. nlohmann-json 3.11 parses and
// frees without recursion, but code walking a document should not meet a 10^6-deep one.
inline constexpr std::int64_t kMaxJsonDepth = 64;

// "256 MiB", "1 GiB" for bytes; "33554432 samples" for a count of another unit.
inline std::string limit_text(std::int64_t value, const std::string& unit = "bytes") {
  if (unit == "bytes" && value % (1024 * kMiB) == 0) {
    return std::to_string(value / (1024 * kMiB)) + " GiB";
  }
  if (unit == "bytes" && value % kMiB == 0) return std::to_string(value / kMiB) + " MiB";
  return std::to_string(value) + " " + unit;
}

// The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not
// count), in one pass without recursion, so a document can be refused before it is parsed.
inline std::int64_t json_nesting_depth(std::string_view text) {
  std::int64_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// The product of `dims` times `element_size`, or -1 when a dimension is negative or the
// product passes INT64_MAX: never wraps.
inline std::int64_t shape_bytes(const std::vector<std::int64_t>& dims, std::int64_t element_size) {
  std::int64_t bytes = element_size;
  for (const std::int64_t d : dims) {
    if (d < 0 || __builtin_mul_overflow(bytes, d, &bytes)) return -1;
  }
  return bytes;
}

// "<where> needs 17179869184 bytes, over the 256 MiB limit for one tensor (kMaxTensorBytes)";
// `asked` < 0 (an overflow) reads "more than 2^63 bytes". `what` says what the limit bounds.
inline std::string limit_error(const std::string& where, std::int64_t asked, std::int64_t limit,
                               const char* name, const char* what,
                               const std::string& unit = "bytes") {
  const std::string amount = asked < 0 ? "more than 2^63" : std::to_string(asked);
  return where + " needs " + amount + " " + unit + ", over the " + limit_text(limit, unit) +
         " limit " + what + " (" + name + ")";
}

// Why a JSON text must be refused before it is parsed (over kMaxJsonFileBytes, or nested
// deeper than kMaxJsonDepth), or "" when it may be parsed; `origin` names it. The caller
// throws: the engine includes this header and is built without exceptions.
inline std::string json_text_problem(std::string_view text, const std::string& origin) {
  if (static_cast<std::int64_t>(text.size()) > kMaxJsonFileBytes) {
    return limit_error(origin, static_cast<std::int64_t>(text.size()), kMaxJsonFileBytes,
                       "kMaxJsonFileBytes", "for a JSON document");
  }
  if (const std::int64_t depth = json_nesting_depth(text); depth > kMaxJsonDepth) {
    return limit_error(origin + ": its nesting", depth, kMaxJsonDepth, "kMaxJsonDepth",
                       "for a JSON document", "levels");
  }
  return "";
}

}  // namespace tinyscale::core
