#include "engine/kernels/device/avg_pool.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void avg_pool_s8(const AvgPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                 std::int8_t* /*scratch*/) {
  const PoolGeometry& g = p.geometry;
  std::int8_t* out = output;
  for (std::int32_t b = 0; b < g.batches; ++b) {
    const std::int8_t* batch_input = input + b * g.in_h * g.in_w * g.channels;
    for (std::int32_t oy = 0; oy < g.out_h; ++oy) {
      const PoolSpan y = pool_span(oy, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
      for (std::int32_t ox = 0; ox < g.out_w; ++ox) {
        const PoolSpan x = pool_span(ox, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
        for (std::int32_t c = 0; c < g.channels; ++c) {
          std::int32_t sum = 0;
          std::int32_t count = 0;
          for (std::int32_t ky = y.begin; ky < y.end; ++ky) {
            const std::int32_t iy = y.origin + ky;
            for (std::int32_t kx = x.begin; kx < x.end; ++kx) {
              const std::int32_t ix = x.origin + kx;
              sum += batch_input[(iy * g.in_w + ix) * g.channels + c];
              ++count;
            }
          }
          *out++ = static_cast<std::int8_t>(
              clamp_s32(rounded_average(sum, count), p.act_min, p.act_max));
        }
      }
    }
  }
}

std::int32_t avg_pool_s8_scratch_bytes(const AvgPoolS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
