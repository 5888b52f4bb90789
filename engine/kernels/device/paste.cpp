#include "engine/kernels/device/paste.h"

#include <cstddef>
#include <cstring>

namespace tinyscale::device {

void paste_s8(const PasteS8Params& p, const std::int8_t* destination, const std::int8_t* block,
              std::int8_t* output, std::int8_t* /*scratch*/) {
  const std::int32_t* n = p.out_dims;
  const std::int32_t* b = p.begin;
  const std::int32_t* s = p.size;
  if (destination != nullptr && destination != output) {
    std::size_t bytes = static_cast<std::size_t>(p.element_bytes);
    for (int d = 0; d < kPasteMaxRank; ++d) bytes *= static_cast<std::size_t>(n[d]);
    std::memcpy(output, destination, bytes);
  }
  const auto row_bytes = static_cast<std::size_t>(s[4]) * static_cast<std::size_t>(p.element_bytes);
  for (std::int32_t i0 = b[0]; i0 < b[0] + s[0]; ++i0)
    for (std::int32_t i1 = b[1]; i1 < b[1] + s[1]; ++i1)
      for (std::int32_t i2 = b[2]; i2 < b[2] + s[2]; ++i2)
        for (std::int32_t i3 = b[3]; i3 < b[3] + s[3]; ++i3) {
          const std::size_t row =
              ((((static_cast<std::size_t>(i0) * n[1] + i1) * n[2] + i2) * n[3] + i3) * n[4] +
               b[4]);
          std::memcpy(output + row * p.element_bytes, block, row_bytes);
          block += row_bytes;
        }
}

std::int32_t paste_s8_scratch_bytes(const PasteS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
