// libFuzzer harness: bytes -> the .tflite reader -> engine compile -> one run, as
// `tinyscale run model.tflite` goes (cli/model_loader.cpp, cli/run_command.cpp). A
// tinyscale::Error or a compile/run status other than ok is a clean rejection; anything else
// (a crash, a sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.h"
#include "core/passes.h"
#include "export/tflite_reader.h"
#include "fuzz/run_once.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    tinyscale::core::Graph graph =
        tinyscale::exporter::read_tflite_buffer(std::span(data, size), "fuzz.tflite");
    tinyscale::core::fold_pad_into_conv(graph);
    tinyscale::fuzz::compile_and_run_once(graph);
  } catch (const tinyscale::Error&) {
  }
  return 0;
}
