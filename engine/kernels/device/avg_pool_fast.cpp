#include "engine/kernels/device/avg_pool_fast.h"

#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

// avg_pool_s8's rounding division and clamp. A window with no cell inside the input (no
// TFLite padding makes one) averages to 0, as the DSP's SDIV by 0 gives in avg_pool_s8.
inline std::int8_t average(std::int32_t sum, std::int32_t count, const AvgPoolS8Params& p) {
  const std::int32_t a = count == 0 ? 0 : rounded_average(sum, count);
  return static_cast<std::int8_t>(clamp_s32(a, p.act_min, p.act_max));
}

}  // namespace

bool avg_pool_s8_fast_applies(const AvgPoolS8Params& p) {
  const PoolGeometry& g = p.geometry;
  return g.channels > 0 && g.channels % 4 == 0 && g.kernel_h > 0 && g.kernel_w > 0 &&
         g.kernel_h <= 256 && g.kernel_h * g.kernel_w <= 256;
}

void avg_pool_s8_fast(const AvgPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                      std::int8_t* /*scratch*/) {
  const PoolGeometry g = p.geometry;  // a local: the output stores may alias the params
  const std::int32_t row_bytes = g.in_w * g.channels;
  std::int8_t* out = output;
  for (std::int32_t b = 0; b < g.batches; ++b) {
    const std::int8_t* batch_input = input + b * g.in_h * row_bytes;
    for (std::int32_t oy = 0; oy < g.out_h; ++oy) {
      const PoolSpan y = pool_span(oy, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
      for (std::int32_t ox = 0; ox < g.out_w; ++ox) {
        const PoolSpan x = pool_span(ox, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
        const std::int32_t count = max_s32(0, y.end - y.begin) * max_s32(0, x.end - x.begin);
        const std::int8_t* first = count > 0 ? batch_input + (y.origin + y.begin) * row_bytes +
                                                   (x.origin + x.begin) * g.channels
                                             : batch_input;
        for (std::int32_t c = 0; c < g.channels; c += 4, out += 4) {
          std::uint32_t even = 0, odd = 0;  // channels (c, c + 2) and (c + 1, c + 3)
          const std::int8_t* row = first + c;
          for (std::int32_t ky = y.begin; ky < y.end && count > 0; ++ky, row += row_bytes) {
            const std::int8_t* cell = row;
            for (std::int32_t kx = x.begin; kx < x.end; ++kx, cell += g.channels) {
              const std::uint32_t w = dsp::load_word(cell);
              even = dsp::sxtab16(even, w);
              odd = dsp::sxtab16_ror8(odd, w);
            }
          }
          const auto lane0 = [](std::uint32_t v) {
            return static_cast<std::int32_t>(static_cast<std::int16_t>(v & 0xFFFFu));
          };
          const auto lane1 = [](std::uint32_t v) { return static_cast<std::int32_t>(v) >> 16; };
          out[0] = average(lane0(even), count, p);
          out[1] = average(lane0(odd), count, p);
          out[2] = average(lane1(even), count, p);
          out[3] = average(lane1(odd), count, p);
        }
      }
    }
  }
}

std::int32_t avg_pool_s8_fast_scratch_bytes(const AvgPoolS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
