#include "engine/kernels/device/pad.h"

#include <cstddef>
#include <cstring>

namespace tinyscale::device {

void pad_s8(const PadS8Params& p, const std::int8_t* input, std::int8_t* output,
            std::int8_t* /*scratch*/) {
  const std::int32_t out_h = p.in_h + p.pad_top + p.pad_bottom;
  const std::int32_t out_w = p.in_w + p.pad_left + p.pad_right;
  const std::size_t row = static_cast<std::size_t>(out_w) * static_cast<std::size_t>(p.channels);
  const std::size_t in_row =
      static_cast<std::size_t>(p.in_w) * static_cast<std::size_t>(p.channels);
  const std::size_t left =
      static_cast<std::size_t>(p.pad_left) * static_cast<std::size_t>(p.channels);
  const int fill = static_cast<std::int8_t>(p.pad_value);
  for (std::int32_t b = 0; b < p.batches; ++b) {
    for (std::int32_t y = 0; y < out_h; ++y) {
      std::int8_t* out = output + (static_cast<std::size_t>(b) * out_h + y) * row;
      const std::int32_t iy = y - p.pad_top;
      if (iy < 0 || iy >= p.in_h) {
        std::memset(out, fill, row);
        continue;
      }
      const std::int8_t* in = input + (static_cast<std::size_t>(b) * p.in_h + iy) * in_row;
      std::memset(out, fill, left);
      std::memcpy(out + left, in, in_row);
      std::memset(out + left + in_row, fill, row - left - in_row);
    }
  }
}

std::int32_t pad_s8_scratch_bytes(const PadS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
