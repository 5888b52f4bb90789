// engine::tflm_kernel_needs — what one operator's TensorFlow Lite Micro kernel takes from the
// arena, read from TFLite Micro's source at commit 90b983c2 (../shared/tools/tflm/TFLM_COMMIT)
// as the specification, for a 32-bit Cortex-M build with TF_LITE_STATIC_MEMORY:
//   - the builtin-data struct ParseOpData allocates for the operator (MicroBuiltinDataAllocator:
//     sizeof and alignof of e.g. TfLiteConvParams on the target), or none;
//   - the persistent buffers the kernel's Init allocates (its OpData), in order;
//   - the persistent buffers its Prepare allocates (per-channel multipliers and shifts, ...), in
//     order;
//   - the scratch buffers its Prepare requests in the arena (RequestScratchBufferInArena), in order,
//     with the reference kernels or with CMSIS-NN's (the CMSIS-NN commit TFLite Micro pins).
// Each persistent block carries the alignment TFLite Micro allocates it with (kernels' persistent
// buffers come from MicroContext::AllocatePersistentBuffer, MicroArenaBufferAlignment() = 16).
// engine::predict_tflm_arena (tflm_arena.h) places them in the arena as TFLite Micro does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tflite_layout.h"

namespace tinyscale::engine {

enum class TflmKernels { reference, cmsis_nn };

// "reference", "cmsis-nn"; parse_tflm_kernels returns false for another name.
const char* tflm_kernels_name(TflmKernels kernels);
bool parse_tflm_kernels(const std::string& name, TflmKernels* kernels);

struct TflmBlock {
  std::int64_t bytes = 0;
  int alignment = 16;
  const char* what = "";  // e.g. "OpDataConv", "per-channel multipliers"
};

struct TflmKernelNeeds {
  // false: the operator (builtin code, version or operand types) is one the model does not know;
  // `unknown` says which, and the prediction is then not exact.
  bool known = true;
  std::string unknown;
  TflmBlock builtin_data{0, 4, ""};  // bytes 0: ParseOpData allocates nothing
  std::vector<TflmBlock> init;
  std::vector<TflmBlock> prepare;
  std::vector<std::int64_t> scratch;
};

TflmKernelNeeds tflm_kernel_needs(const TfliteLayout& model, std::size_t op, TflmKernels kernels);

}  // namespace tinyscale::engine
