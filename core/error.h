// Host-side error type of tinyscale.
//
// Builders, passes, importers and the CLI throw `tinyscale::Error` with a message that
// names the thing that failed (layer, node index, tensor, parameter) and what was expected
// versus found. The CLI prints `what()` as one line and exits non-zero. The engine never
// throws; it returns status codes (engine/status.h).
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tinyscale {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A number as a user typed it ("0.25", "-1", "1e-05"), for error messages.
inline std::string number_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

// Bytes from a file for an error message (a chunk id, a tag): printable ASCII as it is, any
// other byte as \xNN, so a message stays one line of text whatever the file holds.
inline std::string printable_text(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

}  // namespace tinyscale
