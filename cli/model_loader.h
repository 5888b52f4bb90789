// Loads a model file into a core::Graph by its extension: .tflite as written, .onnx
// (float) lowered for the float reference kernels. Throws tinyscale::Error naming the file.
#pragma once

#include <string>

#include "core/graph.h"

namespace tinyscale::cli {

core::Graph load_model(const std::string& path);

}  // namespace tinyscale::cli
