#include "cli/model_loader.h"

#include <filesystem>

#include "core/error.h"
#include "export/tflite_reader.h"

namespace tinyscale::cli {

core::Graph load_model(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".tflite") return exporter::read_tflite(path);
  throw Error("'" + path + "': unknown model format '" + extension +
              "'; tinyscale reads .tflite files");
}

}  // namespace tinyscale::cli
