#include "engine/kernels/device/slice.h"

#include <cstddef>
#include <cstring>

namespace tinyscale::device {

void slice_s8(const SliceS8Params& p, const std::int8_t* input, std::int8_t* output,
              std::int8_t* /*scratch*/) {
  const std::int32_t* n = p.in_dims;
  const std::int32_t* b = p.begin;
  const std::int32_t* s = p.size;
  const auto row_bytes = static_cast<std::size_t>(s[4]) * static_cast<std::size_t>(p.element_bytes);
  for (std::int32_t i0 = b[0]; i0 < b[0] + s[0]; ++i0)
    for (std::int32_t i1 = b[1]; i1 < b[1] + s[1]; ++i1)
      for (std::int32_t i2 = b[2]; i2 < b[2] + s[2]; ++i2)
        for (std::int32_t i3 = b[3]; i3 < b[3] + s[3]; ++i3) {
          const std::size_t row =
              ((((static_cast<std::size_t>(i0) * n[1] + i1) * n[2] + i2) * n[3] + i3) * n[4] +
               b[4]);
          std::memcpy(output, input + row * p.element_bytes, row_bytes);
          output += row_bytes;
        }
}

std::int32_t slice_s8_scratch_bytes(const SliceS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
