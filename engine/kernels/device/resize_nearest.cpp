#include "engine/kernels/device/resize_nearest.h"

#include <cstddef>
#include <cstring>

namespace tinyscale::device {

void resize_nearest_s8(const ResizeNearestS8Params& p, const std::int8_t* input,
                       std::int8_t* output, std::int8_t* /*scratch*/) {
  const std::int32_t out_h = p.in_h * p.scale_h;
  const std::int32_t out_w = p.in_w * p.scale_w;
  const auto pixel = static_cast<std::size_t>(p.pixel_bytes);
  for (std::int32_t b = 0; b < p.batches; ++b) {
    for (std::int32_t y = 0; y < out_h; ++y) {
      const std::int8_t* in_row =
          input + (static_cast<std::size_t>(b) * p.in_h + y / p.scale_h) * p.in_w * pixel;
      for (std::int32_t x = 0; x < out_w; ++x) {
        std::memcpy(output, in_row + static_cast<std::size_t>(x / p.scale_w) * pixel, pixel);
        output += pixel;
      }
    }
  }
}

std::int32_t resize_nearest_s8_scratch_bytes(const ResizeNearestS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
