// Loads a model file into a core::Graph by its extension (.tflite now; .onnx with the
// export issue). Throws tinyscale::Error naming the file and what is wrong.
#pragma once

#include <string>

#include "core/graph.h"

namespace tinyscale::cli {

core::Graph load_model(const std::string& path);

}  // namespace tinyscale::cli
