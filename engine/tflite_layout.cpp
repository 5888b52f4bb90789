#include "engine/tflite_layout.h"

namespace tinyscale::engine {

int tflite_type_bytes(int type) {
  switch (type) {
    case tflite_type::float32:
    case tflite_type::int32:
      return 4;
    case tflite_type::int64:
      return 8;
    case tflite_type::float16:
    case tflite_type::int16:
      return 2;
    case tflite_type::uint8:
    case tflite_type::int8:
    case tflite_type::boolean:
      return 1;
    default:
      return 0;
  }
}

std::int64_t TfliteTensorLayout::elements() const {
  std::int64_t n = 1;
  for (const std::int32_t d : shape) n *= d;
  return n;
}

}  // namespace tinyscale::engine
