// engine::predict_tflm_arena — the arena_used_bytes TensorFlow Lite Micro reports after
// AllocateTensors() for a .tflite file (engine::TfliteLayout), computed from the file's graph
// without running TFLite Micro: the model follows TFLite Micro at commit 90b983c2
// (../shared/tools/tflm/TFLM_COMMIT) built for a 32-bit Cortex-M target with
// TF_LITE_STATIC_MEMORY, reference or CMSIS-NN kernels (tflm_kernels.h).
//
// TFLite Micro's arena has two ends (SingleArenaBufferAllocator):
//   head (non-persistent)  the memory plan: every non-constant tensor and scratch buffer placed
//                          by GreedyMemoryPlanner over the operators' lifetimes
//   tail (persistent)      the allocator and planner objects, one TfLiteEvalTensor per tensor,
//                          one NodeAndRegistration per operator, each operator's builtin data,
//                          the kernels' op data and per-channel parameters, the scratch buffer
//                          handles, the TfLiteTensors kept for the inputs and outputs
// arena_used_bytes = head + tail, each allocation aligned as TFLite Micro aligns it.
//
// Usage:
//   engine::TflmArena a = engine::predict_tflm_arena(layout, engine::TflmKernels::cmsis_nn);
//   a.used_bytes;  a.items;  a.exact;
//   // The figures only (the solver's case): one plan, no activation_bytes, no items.
//   engine::predict_tflm_arena(layout, kernels, engine::TflmArenaDetail::figures).used_bytes;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tflite_layout.h"
#include "engine/tflm_kernels.h"

namespace tinyscale::engine {

struct TflmArenaItem {
  std::string what;
  std::int64_t bytes = 0;
};

struct TflmArena {
  std::int64_t used_bytes = 0;        // arena_used_bytes
  std::int64_t head_bytes = 0;        // the memory plan
  std::int64_t tail_bytes = 0;        // persistent allocations, alignment padding included
  std::int64_t activation_bytes = 0;  // of head_bytes: the plan's peak without scratch buffers
  std::int64_t scratch_bytes = 0;     // scratch buffers requested (sum)
  // The tail itemized the way TFLite Micro's allocator allocates it; the items add up to
  // tail_bytes (padding is an item of its own).
  std::vector<TflmArenaItem> items;
  bool exact = true;
  std::vector<std::string> notes;  // why not exact (an operator the model does not know)
};

// What predict_tflm_arena fills in. full: every field. figures: used_bytes, head_bytes,
// tail_bytes, scratch_bytes, exact and notes, the same values as full; activation_bytes stays
// 0 (it takes a second plan) and items empty.
enum class TflmArenaDetail { full, figures };

TflmArena predict_tflm_arena(const TfliteLayout& model, TflmKernels kernels,
                             TflmArenaDetail detail = TflmArenaDetail::full);

}  // namespace tinyscale::engine
