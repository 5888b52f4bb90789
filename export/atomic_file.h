// Atomic file output for the exporters: a model file is either the complete new file or
// whatever was there before, never a truncated one (the same contract as
// scaling::write_file_atomically, which export cannot link).
//
// Usage:
//   exporter::write_bytes_atomically("model.tflite", bytes);
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tinyscale::exporter {

// Writes `bytes` to `path + ".tmp-<pid>"` beside it, syncs and closes it, then renames it
// over `path`. On any failure the temporary file is removed, `path` is left as it was, and
// tinyscale::Error names the path and the reason.
void write_bytes_atomically(const std::string& path, std::span<const std::uint8_t> bytes);

}  // namespace tinyscale::exporter
