// Atomic file output for everything tinyscale writes (models, CSV, SVG, tensor dumps): a
// file is either the complete new file or whatever was there before, never a truncated one.
//
// Usage:
//   core::write_bytes_atomically("model.tflite", bytes);
//   core::write_file_atomically("sweep.csv", csv_text);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tinyscale::core {

// Writes `bytes` to `path + ".tmp-<pid>"` beside it, syncs and closes it, then renames it
// over `path`. On any failure the temporary file is removed, `path` is left as it was, and
// tinyscale::Error names the path and the reason.
void write_bytes_atomically(const std::string& path, std::span<const std::uint8_t> bytes);
void write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace tinyscale::core
