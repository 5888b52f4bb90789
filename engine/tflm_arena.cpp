#include "engine/tflm_arena.h"

namespace tinyscale::engine {

TflmArena predict_tflm_arena(const TfliteLayout& model, TflmKernels kernels) {
  TflmArena arena;
  for (std::size_t op = 0; op < model.operators.size(); ++op) {
    const TflmKernelNeeds needs = tflm_kernel_needs(model, op, kernels);
    if (!needs.known) {
      arena.exact = false;
      arena.notes.push_back(needs.unknown);
    }
  }
  return arena;
}

}  // namespace tinyscale::engine
