// The size of a model deployed as tinyscale's generated code (deploy/codegen.h), on the
// device: what costmodel prices for `--runtime tinyscale` and what the firmware's ELF holds.
//
//   FLASH = model data      every const array, params struct and pointer table of NAME.cpp at
//                           its 32-bit size (NAME_MODEL_DATA_BYTES, computed by the code
//                           generator itself and handed over as GeneratedCodeSize)
//         + kernel code     the device kernels the model calls, each once (measured table)
//         + invoke code     NAME_invoke()'s calls, NAME_input/NAME_output and their tables
//   RAM   = arena           NAME_ARENA_BYTES, the engine's arena plan
//         + stack bound     NAME_invoke()'s frame + the deepest kernel's call chain
//
// costmodel does not link deploy (DESIGN.md), so the code generator's figures reach it as a
// GeneratedCodeSize through costmodel::CostOptions::generated_code_size; the tables below
// are the measured part.
//
// Usage:
//   engine::GeneratedCodeSize g = ...;  // deploy::generated_code_size(graph)
//   engine::DeviceFootprint f = engine::device_footprint(g, engine::DeviceCore::cortex_m7);
//   f.flash_bytes(); f.ram_bytes();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyscale::engine {

enum class DeviceCore { cortex_m7, cortex_m4 };

// "cortex-m7", "cortex-m4".
const char* device_core_name(DeviceCore core);

// What the code generator knows of a model's package (deploy::PackageSummary's figures).
struct GeneratedCodeSize {
  std::int64_t model_data_bytes = 0;  // NAME_MODEL_DATA_BYTES
  std::int64_t arena_bytes = 0;       // NAME_ARENA_BYTES
  int nodes = 0;                      // calls in NAME_invoke()
  std::vector<std::string> kernels;   // device kernel files used ("conv2d", "add", ...)
};

// One device kernel file (engine/kernels/device/NAME.cpp) compiled as a package compiles it:
// its code and constant tables, and the stack of its deepest call chain.
struct DeviceKernelSize {
  std::int64_t code_bytes = 0;
  std::int64_t stack_bytes = 0;
};

// The measured size of a device kernel file on `core`; false for a name the table lacks.
bool device_kernel_size(std::string_view kernel, DeviceCore core, DeviceKernelSize* size);

// NAME_invoke()'s code per call (argument loads from a literal pool + the branch) and the
// package's fixed code (NAME_input, NAME_output, their I/O tables and name strings), measured
// on the MLPerf DS-CNN, the autoencoder and a PhiNet (cortex-m7, -O2): 364 B / 13 calls,
// 304 B / 10 calls, 2,104 B / 89 calls; fixed 156 to 158 B.
inline constexpr std::int64_t kInvokeCodeBytesPerNode = 25;
inline constexpr std::int64_t kGeneratedFixedCodeBytes = 160;
// NAME_invoke()'s own frame (-fstack-usage: 32 B for the MLPerf models, 48 B for a PhiNet:
// the stacked arguments of six-argument kernel calls); the bound takes the largest.
inline constexpr std::int64_t kInvokeFrameStackBytes = 48;

struct DeviceFootprint {
  std::int64_t model_data_bytes = 0;
  std::int64_t kernel_code_bytes = 0;
  std::int64_t invoke_code_bytes = 0;
  std::int64_t arena_bytes = 0;
  std::int64_t stack_bytes = 0;
  // Kernel files the table does not know (priced at the largest kernel's size).
  std::vector<std::string> unknown_kernels;
  std::int64_t flash_bytes() const {
    return model_data_bytes + kernel_code_bytes + invoke_code_bytes;
  }
  std::int64_t ram_bytes() const { return arena_bytes + stack_bytes; }
};

DeviceFootprint device_footprint(const GeneratedCodeSize& code, DeviceCore core);

}  // namespace tinyscale::engine
