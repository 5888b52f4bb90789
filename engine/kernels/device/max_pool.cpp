#include "engine/kernels/device/max_pool.h"

#include <cstddef>

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void max_pool_s8(const MaxPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                 std::int8_t* /*scratch*/) {
  const PoolGeometry& g = p.geometry;
  for (std::int32_t b = 0; b < g.batches; ++b) {
    const std::int8_t* batch_input =
        input + static_cast<std::size_t>(b) * g.in_h * g.in_w * g.channels;
    for (std::int32_t oy = 0; oy < g.out_h; ++oy) {
      const PoolSpan y = pool_span(oy, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
      for (std::int32_t ox = 0; ox < g.out_w; ++ox) {
        const PoolSpan x = pool_span(ox, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
        for (std::int32_t c = 0; c < g.channels; ++c) {
          std::int32_t max = -128;
          for (std::int32_t ky = y.begin; ky < y.end; ++ky) {
            const std::int8_t* row =
                batch_input + (static_cast<std::size_t>(y.origin + ky) * g.in_w) * g.channels;
            for (std::int32_t kx = x.begin; kx < x.end; ++kx) {
              max = max_s32(max, row[static_cast<std::size_t>(x.origin + kx) * g.channels + c]);
            }
          }
          *output++ = static_cast<std::int8_t>(clamp_s32(max, p.act_min, p.act_max));
        }
      }
    }
  }
}

std::int32_t max_pool_s8_scratch_bytes(const MaxPoolS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
