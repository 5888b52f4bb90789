// Atomic file output for everything tinyscale writes (models, CSV, SVG, tensor dumps): a
// file is either the complete new file or whatever was there before, never a truncated one,
// and no temporary file is left behind, not even when the user presses Ctrl-C.
//
// The bytes go to `path + ".tmp-<pid>"` beside the target, are synced, and the temporary
// file is renamed over the target. While that temporary file exists, SIGINT, SIGTERM and
// SIGHUP whose disposition is the default (terminate) are caught by a handler that unlinks
// the temporary file, restores the default disposition and re-raises the signal, so the
// process still dies of that signal (exit status 128 + signo in a shell) and the target is
// untouched. Signals the program ignores or handles itself are left alone. The previous
// dispositions are restored when the write returns. Writes are serialized process-wide
// (one temporary path is tracked at a time).
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

// The temporary file name write_bytes_atomically uses for `path` in this process.
std::string atomic_temp_path(const std::string& path);

}  // namespace tinyscale::core
