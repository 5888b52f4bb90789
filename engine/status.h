// Status codes of the engine: it is built without exceptions (for Cortex-M) and never
// aborts; every fallible call returns one of these, with a message where one helps.
#pragma once

#include <cstdint>

namespace tinyscale::engine {

enum class Status : std::uint8_t {
  ok = 0,
  unsupported_op,        // no kernel for this op / dtype / option combination
  invalid_model,         // shapes, tensor ids or attributes that do not fit the op
  invalid_quantization,  // missing or inconsistent scales / zero points
  invalid_argument,      // a caller passed something unusable (wrong input size, ...)
};

inline const char* status_name(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::unsupported_op:
      return "unsupported_op";
    case Status::invalid_model:
      return "invalid_model";
    case Status::invalid_quantization:
      return "invalid_quantization";
    case Status::invalid_argument:
      return "invalid_argument";
  }
  return "?";
}

}  // namespace tinyscale::engine
