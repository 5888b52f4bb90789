#include "engine/tflm_kernels.h"

namespace tinyscale::engine {

const char* tflm_kernels_name(TflmKernels kernels) {
  return kernels == TflmKernels::cmsis_nn ? "cmsis-nn" : "reference";
}

bool parse_tflm_kernels(const std::string& name, TflmKernels* kernels) {
  if (name == "reference") {
    *kernels = TflmKernels::reference;
    return true;
  }
  if (name == "cmsis-nn") {
    *kernels = TflmKernels::cmsis_nn;
    return true;
  }
  return false;
}

TflmKernelNeeds tflm_kernel_needs(const TfliteLayout& model, std::size_t op, TflmKernels kernels) {
  (void)kernels;
  TflmKernelNeeds needs;
  needs.known = false;
  needs.unknown = "operator " + std::to_string(op) + " (builtin " +
                  std::to_string(model.operators[op].builtin) + "): kernel table pending";
  return needs;
}

}  // namespace tinyscale::engine
