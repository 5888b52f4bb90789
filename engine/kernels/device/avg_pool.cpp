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
      const std::int32_t in_y_origin = oy * g.stride_h - g.pad_top;
      const std::int32_t ky_begin = max_s32(0, -in_y_origin);
      const std::int32_t ky_end = min_s32(g.kernel_h, g.in_h - in_y_origin);
      for (std::int32_t ox = 0; ox < g.out_w; ++ox) {
        const std::int32_t in_x_origin = ox * g.stride_w - g.pad_left;
        const std::int32_t kx_begin = max_s32(0, -in_x_origin);
        const std::int32_t kx_end = min_s32(g.kernel_w, g.in_w - in_x_origin);
        for (std::int32_t c = 0; c < g.channels; ++c) {
          std::int32_t sum = 0;
          std::int32_t count = 0;
          for (std::int32_t ky = ky_begin; ky < ky_end; ++ky) {
            const std::int32_t iy = in_y_origin + ky;
            for (std::int32_t kx = kx_begin; kx < kx_end; ++kx) {
              const std::int32_t ix = in_x_origin + kx;
              sum += batch_input[(iy * g.in_w + ix) * g.channels + c];
              ++count;
            }
          }
          // Integer division rounded half away from zero (TFLite's "round to the closest").
          const std::int32_t average =
              sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          *out++ = static_cast<std::int8_t>(clamp_s32(average, p.act_min, p.act_max));
        }
      }
    }
  }
}

std::int32_t avg_pool_s8_scratch_bytes(const AvgPoolS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
