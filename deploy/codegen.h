// deploy::generate_package — model-specific C++ source for a microcontroller (or the host)
// from a compiled int8 model: no interpreter, no flatbuffer parsing, no heap.
//
// The package (written into `output_dir`):
//   NAME.h          C/C++ header: NAME_invoke(), the arena (NAME_arena, NAME_ARENA_BYTES),
//                   inputs and outputs by index (pointer into the arena, shape, bytes,
//                   scale, zero point) as constants; opens with the generating command.
//   NAME.cpp        every weight, bias and precomputed kernel parameter (each node's device
//                   params struct, per-channel multipliers and shifts, lookup tables) as
//                   `const` data named after its layer, so it lives in FLASH; one aligned
//                   arena of exactly the engine's planned activation size; NAME_invoke()
//                   calling the device kernels in graph order with constant params and
//                   arena offsets, one call per node preceded by a comment naming it.
//   kernels/        the device kernel sources the model uses (engine/kernels/device/), and
//                   nothing else.
//   CMakeLists.txt  a static library `NAME`; for a Cortex-M target also
//   arm-none-eabi.cmake, the toolchain file for Debian's gcc-arm-none-eabi.
//   README.md       how firmware uses it (a main.c sketch) and the model's figures.
//
// The arena plan is the compiled model's own (engine::plan_arena through compile), so the
// generated arena is the engine's activation arena, to the byte, and the device kernels
// are the functions the engine runs: the package's outputs equal `tinyscale run`'s.
//
// Everything is checked and generated in memory before the first file is written: a node
// whose op has no device kernel yet throws tinyscale::Error naming the op and the node,
// and nothing is written.
//
// Usage:
//   engine::CompiledModel model;  model.compile(graph, {}, error, sizeof error);
//   deploy::PackageSummary s = deploy::generate_package(
//       model, graph, {.name = "kws", .target = deploy::Target::cortex_m7,
//                      .command_line = "tinyscale deploy kws.tflite ..."}, "out/kws");
//   s.arena_bytes;  s.model_data_bytes;
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/graph.h"
#include "engine/deploy_size.h"
#include "engine/engine.h"

namespace tinyscale::deploy {

// Cortex-M4, M7 and M33 have the DSP extension and take the fast kernels; the M3 and M0+ (no
// DSP extension) keep the reference kernels.
enum class Target { host, cortex_m4, cortex_m7, cortex_m33, cortex_m3, cortex_m0plus };

// "host", "cortex-m4", ...; parse_target throws tinyscale::Error listing the valid names.
const char* target_name(Target target);
Target parse_target(const std::string& name);

struct GenerateOptions {
  std::string name = "model";  // a C identifier prefix; sanitized if it is not one
  Target target = Target::host;
  std::string command_line;  // written into the files' opening comment
  // The graph's requantization is a placeholder (generated_code_size's layout of an
  // uncalibrated graph): convolutions take their short-stage kernel variant, as calibrated
  // tinyscale networks do (dsp.h short_output: full int8 range, right shifts 1..31), instead
  // of deciding from the placeholder shifts.
  bool assume_usual_requantization = false;
};

struct PackageSummary {
  std::string name;              // the sanitized NAME
  std::int64_t arena_bytes = 0;  // NAME_ARENA_BYTES
  // Every const array, params struct and pointer table of NAME.cpp (weights, biases,
  // multipliers, shifts, tables) at its size on a 32-bit Cortex-M: NAME_MODEL_DATA_BYTES.
  std::int64_t model_data_bytes = 0;
  std::vector<std::string> files;    // written, relative to output_dir
  std::vector<std::string> kernels;  // device kernel files used (op names)
  int calls = 0;  // kernel calls in NAME_invoke(): the nodes but the fused activations
  // Call k of NAME_invoke() (TINYSCALE_OP_DONE(k) follows it): its node in the graph and the
  // kernel function it calls ("conv2d_s8_fast").
  struct Call {
    int node = -1;
    std::string function;
  };
  std::vector<Call> call_list;
  // Per node: for a multiply the package runs inside a pointwise convolution's call
  // (engine/mul_fusion.h), that convolution; else -1.
  std::vector<int> fused_multiply_into;
};

// `graph` is the graph `model` was compiled from (one arena, no memory regions). Throws
// tinyscale::Error (unsupported op, float model, bad name, I/O) before or while writing.
PackageSummary generate_package(const engine::CompiledModel& model, const core::Graph& graph,
                                const GenerateOptions& options,
                                const std::filesystem::path& output_dir);

// generate_package's summary without writing anything: the figures (name, arena_bytes,
// model_data_bytes, kernels) of the package it would write; files stays empty.
PackageSummary summarize_package(const engine::CompiledModel& model, const core::Graph& graph,
                                 const GenerateOptions& options);

// The generated code's figures for a graph as the cost model holds it: an int8 graph as it
// is, a float graph (lowered for deployment) as the int8 graph of its layout
// (exporter::quantize_layout, no calibration). This is what costmodel prices for
// `--runtime tinyscale` (costmodel::CostOptions::generated_code_size): the same code path
// as NAME_MODEL_DATA_BYTES and NAME_ARENA_BYTES, so the figures agree to the byte. Throws
// tinyscale::Error when the graph does not compile or an op has no device kernel.
engine::GeneratedCodeSize generated_code_size(const core::Graph& graph);

// A C identifier from a layer or tensor name: letters, digits and '_' kept, every other run
// of characters one '_', lower case, a leading digit prefixed with '_'; "" becomes "x".
std::string sanitize_identifier(const std::string& name);

// The version written into generated files.
const char* tinyscale_version();

}  // namespace tinyscale::deploy
