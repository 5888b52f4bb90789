#include "engine/deploy_size.h"

#include <algorithm>
#include <array>

namespace tinyscale::engine {
namespace {

struct KernelRow {
  std::string_view kernel;
  DeviceKernelSize cortex_m7;
  DeviceKernelSize cortex_m4;
};

// MEASURED 2026-12-07 with Debian's arm-none-eabi-g++ 12.2.1 20221205 (15:12.2.rel1-1), each
// engine/kernels/device/NAME.cpp compiled alone with the package's flags:
//   -std=c++20 -O2 -mthumb -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti
//   -fno-threadsafe-statics, cortex-m7: -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard,
//   cortex-m4: -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard.
// code_bytes: the object's .text.* and .rodata* sections (arm-none-eabi-size -A) without the
//   functions only the code generator calls on the host (*_scratch_bytes, *_applies,
//   *_reorder_weights, *_fold_bias; the firmware's --gc-sections drops them).
//   A file with two entry points (quantize: s8 and f32) counts both; fixed-point helpers
//   shared by sigmoid, tanh and softmax count in each.
// stack_bytes: the deepest call chain through the file's functions other than the host-only
//   ones, each with its -fstack-usage frame (GCC's call graph, -fcallgraph-info=su; every
//   frame "static", no recursion): a naked assembly function counts 48 bytes (its pushes,
//   which GCC does not see), a call out of the file (memcpy, libgcc) 32. An upper bound of
//   what a call from NAME_invoke() takes. (Until 2026-12-07 the sum of every function.)
// Re-measure when a device kernel changes (the footprint test against the QEMU firmware's
// ELF fails when the table drifts by more than 2 % of a model's FLASH):
// scripts/measure_kernel_size.sh NAME... prints the rows.
constexpr std::array kKernels = std::to_array<KernelRow>({
    {"add", {612, 64}, {596, 64}},
    {"add_fast", {2856, 456}, {2880, 456}},  // 2026-12-07: SMMULR rescalings, rows
    {"avg_pool", {364, 80}, {356, 80}},
    {"avg_pool_fast", {904, 184}, {904, 176}},  // 2026-12-07: SXTAB16 window sums
    {"clip", {60, 12}, {60, 12}},
    {"concat", {84, 64}, {84, 64}},
    {"conv2d", {1348, 112}, {1400, 120}},           // 2026-12-07: scripts/measure_kernel_size.sh
    {"conv2d_fast", {5772, 448}, {5916, 464}},      // 2026-12-07: 4x2 GEMM (asm), lean/full stages
    {"conv2d_fast_mul", {8436, 512}, {8528, 528}},  // 2026-12-07: + a fused multiply
    {"conv2d_fast_short", {4312, 440}, {4316, 440}},  // 2026-12-07: + the quad and its stage in asm
    {"conv2d_fast_short_mul", {6148, 528}, {6148, 520}},     // 2026-12-07: + a fused multiply
    {"conv2d_gemm_fast", {8312, 568}, {8116, 584}},          // 2026-12-07: no scratch, direct tail
    {"conv2d_gemm_fast_short", {10740, 736}, {10608, 744}},  // 2026-12-07: + the quads
    {"depthwise_fast", {10408, 856}, {10296, 864}},          // 2026-12-07: DSP, any stage
    {"depthwise_fast_short", {12343, 752}, {12215, 752}},    // 2026-12-07: + 3x3 pixels in asm
    {"depthwise_fast_in_place", {3036, 488}, {3056, 488}},   // 2026-12-07: DSP, 3x3 s1, 3 stages
    {"dequantize", {56, 4}, {56, 4}},
    {"fully_connected", {560, 72}, {524, 56}},
    {"fully_connected_fast", {8608, 680}, {8516, 680}},  // 2026-12-07: + short stage, blocks in asm
    {"global_avg_pool", {316, 64}, {304, 56}},           // 2026-12-07
    {"global_avg_pool_fast", {688, 136}, {676, 136}},    // 2026-12-07: SXTAB16 sums
    {"hard_swish", {472, 36}, {484, 36}},
    {"leaky_relu", {404, 48}, {428, 36}},
    {"lut", {136, 32}, {136, 32}},  // 2026-12-07: table lookup (sigmoid, tanh, hard-swish)
    {"max_pool", {356, 80}, {360, 80}},
    {"max_pool_fast", {672, 184}, {688, 176}},  // 2026-12-07: SSUB8 + SEL
    {"mul", {444, 72}, {408, 72}},              // 2026-12-07
    {"mul_fast", {1760, 384}, {1684, 360}},     // 2026-12-07: SMULBB/SMULTT rows, short stage
    {"pad", {224, 104}, {224, 104}},
    {"paste", {196, 80}, {188, 72}},  // 2026-12-07
    {"quantize", {480, 56}, {464, 48}},
    {"relu", {236, 56}, {224, 48}},
    {"reshape", {16, 32}, {16, 32}},
    {"resize_nearest", {164, 88}, {168, 88}},
    {"sigmoid", {1188, 168}, {1212, 144}},
    {"slice", {164, 80}, {172, 72}},
    {"softmax", {1400, 160}, {1500, 168}},
    {"split", {80, 72}, {84, 72}},
    {"tanh", {1164, 168}, {1200, 144}},
});

}  // namespace

const char* device_core_name(DeviceCore core) {
  return core == DeviceCore::cortex_m4 ? "cortex-m4" : "cortex-m7";
}

bool device_kernel_size(std::string_view kernel, DeviceCore core, DeviceKernelSize* size) {
  for (const KernelRow& row : kKernels) {
    if (row.kernel == kernel) {
      *size = core == DeviceCore::cortex_m4 ? row.cortex_m4 : row.cortex_m7;
      return true;
    }
  }
  return false;
}

DeviceFootprint device_footprint(const GeneratedCodeSize& code, DeviceCore core) {
  DeviceFootprint f;
  f.model_data_bytes = code.model_data_bytes;
  f.arena_bytes = code.arena_bytes;
  f.invoke_code_bytes = kGeneratedFixedCodeBytes + kInvokeCodeBytesPerNode * code.nodes;
  DeviceKernelSize largest;
  for (const KernelRow& row : kKernels) {
    const DeviceKernelSize& s = core == DeviceCore::cortex_m4 ? row.cortex_m4 : row.cortex_m7;
    largest.code_bytes = std::max(largest.code_bytes, s.code_bytes);
    largest.stack_bytes = std::max(largest.stack_bytes, s.stack_bytes);
  }
  std::int64_t deepest = 0;
  for (const std::string& kernel : code.kernels) {
    DeviceKernelSize s;
    if (!device_kernel_size(kernel, core, &s)) {
      s = largest;
      f.unknown_kernels.push_back(kernel);
    }
    f.kernel_code_bytes += s.code_bytes;
    deepest = std::max(deepest, s.stack_bytes);
  }
  f.stack_bytes = kInvokeFrameStackBytes + deepest;
  return f;
}

}  // namespace tinyscale::engine
