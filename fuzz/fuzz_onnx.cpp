// libFuzzer harness: bytes -> the .onnx reader -> lowering for the float reference kernels
// -> engine compile -> one float run, as `tinyscale run model.onnx` goes
// (cli/model_loader.cpp). tinyscale::Error or a compile/run status other than ok is a clean
// rejection; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.h"
#include "core/passes.h"
#include "export/onnx_reader.h"
#include "fuzz/run_once.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const tinyscale::core::Graph graph = tinyscale::core::lower_for_deployment(
        tinyscale::exporter::read_onnx_buffer(std::span(data, size), "fuzz.onnx"));
    tinyscale::fuzz::compile_and_run_once(graph);
  } catch (const tinyscale::Error&) {
  }
  return 0;
}
