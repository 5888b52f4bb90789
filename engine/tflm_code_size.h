// engine::tflm_code_size — the FLASH that TensorFlow Lite Micro's code takes in a firmware
// that runs a given .tflite: the interpreter core plus the kernels of the builtin operators
// the model uses. FLASH for `--runtime tflite-micro` is the .tflite file plus this.
//
// The figures are MEASURED, not estimated: links of the prebuilt TFLite Micro (commit
// 90b983c2, ../shared/tools/tflm/cm/lib/{m7,m4}_{ref,cmsis}, arm-none-eabi-gcc 12, -O2,
// -ffunction-sections) with --gc-sections, read from the linker's map file
// (scripts/measure_tflm_code_size.sh re-measures and prints the table):
//   interpreter  what a runner keeps when it registers no operator: MicroInterpreter,
//                MicroAllocator, the memory planner, flatbuffer parsing, the op resolver
//                (MicroMutableOpResolver's vtable and AddBuiltin), debug log, MicroPrintf and the
//                libc/libgcc pieces these pull in;
//   an operator  what registering it adds: Register_X(), its Init/Prepare/Eval, the ParseX the
//                resolver keeps for it, the reference_ops or CMSIS-NN functions it calls and
//                the libc/libgcc pieces none of the above already pulls in.
// Code shared by several operators but not by the interpreter (e.g. the per-channel
// quantization helpers of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED) is a group of its
// own with the set of operators that need it, so kernel_bytes is the union a link of exactly
// the model's operators keeps: each group counted once, when any of them is used. per_op
// splits it for display: a shared group counts under the first of the model's operators (in
// the model's operator order) that needs it, so per_op sums to kernel_bytes.
// interpreter_bytes + kernel_bytes is the FLASH of a link registering exactly the model's
// operators to within 128 B (alignment padding, strings ld merges as suffixes of others): the
// worst of 160 random subsets of the 23 operators in the four configurations was 91 B
// (tests/engine/tflm_code_size_test.cpp links the DS-CNN's operators and the runner's full
// firmware). An operator alone is exact: interpreter_bytes + its kernel_bytes is its link.
//
// Usage:
//   engine::TflmCodeSize s = engine::tflm_code_size(layout, TflmKernels::cmsis_nn,
//                                                   DeviceCore::cortex_m7);
//   std::int64_t flash = file_bytes + s.interpreter_bytes + s.kernel_bytes;
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/deploy_size.h"
#include "engine/tflite_layout.h"
#include "engine/tflm_kernels.h"

namespace tinyscale::engine {

struct TflmCodeSize {
  std::int64_t interpreter_bytes = 0;
  std::int64_t kernel_bytes = 0;                         // the union over the model's operators
  std::vector<std::pair<int, std::int64_t>> per_op;      // builtin code, bytes; first-use order
  bool exact = true;        // false: an operator the table lacks (it then counts 0 B)
  std::vector<std::string> notes;
};

TflmCodeSize tflm_code_size(const TfliteLayout& model, TflmKernels kernels, DeviceCore core);

// The same for a list of builtin operator codes (duplicates allowed; order = first use).
TflmCodeSize tflm_code_size_of_ops(const std::vector<int>& builtins, TflmKernels kernels,
                                   DeviceCore core);

// The builtin codes the table covers, in its order.
std::vector<int> tflm_code_size_ops();

// The parts of the measured links that are not one of the table's operators, for checking
// the table against a firmware that registers every builtin operator (as the QEMU runner of
// ../shared/tools/tflm does): the code of all the other builtin operators together, and the
// newlib code only the runner's main() pulls in (snprintf's formatter).
struct TflmLinkRest {
  std::int64_t other_builtin_ops_bytes = 0;
  std::int64_t runner_libc_bytes = 0;
};
TflmLinkRest tflm_link_rest(TflmKernels kernels, DeviceCore core);

}  // namespace tinyscale::engine
