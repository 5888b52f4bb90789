#include "engine/kernels/device/max_pool_fast.h"

#include <cstring>

#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

// The lane-wise signed maximum and minimum of 4 int8 lanes.
#if defined(__ARM_FEATURE_DSP)
inline std::uint32_t max_lanes(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}
inline std::uint32_t min_lanes(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}
#else
template <typename Pick>
std::uint32_t lanes(std::uint32_t a, std::uint32_t b, Pick pick) {
  std::uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    const auto x = static_cast<std::int8_t>(static_cast<std::uint8_t>(a >> (8 * i)));
    const auto y = static_cast<std::int8_t>(static_cast<std::uint8_t>(b >> (8 * i)));
    r |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(pick(x, y))) << (8 * i);
  }
  return r;
}
inline std::uint32_t max_lanes(std::uint32_t a, std::uint32_t b) {
  return lanes(a, b, [](std::int8_t x, std::int8_t y) { return x >= y ? x : y; });
}
inline std::uint32_t min_lanes(std::uint32_t a, std::uint32_t b) {
  return lanes(a, b, [](std::int8_t x, std::int8_t y) { return x >= y ? y : x; });
}
#endif

// v in each of the 4 byte lanes.
std::uint32_t splat(std::int32_t v) {
  return (static_cast<std::uint32_t>(v) & 0xFFu) * 0x01010101u;
}

}  // namespace

void max_pool_s8_fast(const MaxPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                      std::int8_t* /*scratch*/) {
  const PoolGeometry g = p.geometry;  // a local: the output stores may alias the params
  const std::int32_t act_min = p.act_min, act_max = p.act_max;
  const std::uint32_t lowest = splat(-128), low = splat(act_min), high = splat(act_max);
  const std::int32_t row_bytes = g.in_w * g.channels;
  // An empty activation range (act_min > act_max, which no fused activation gives) takes the
  // one-at-a-time loop, whose clamp is max_pool_s8's.
  const std::int32_t groups_end = act_min <= act_max ? g.channels & ~3 : 0;
  std::int8_t* out = output;
  for (std::int32_t b = 0; b < g.batches; ++b) {
    const std::int8_t* batch_input = input + b * g.in_h * row_bytes;
    for (std::int32_t oy = 0; oy < g.out_h; ++oy) {
      const PoolSpan y = pool_span(oy, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
      for (std::int32_t ox = 0; ox < g.out_w; ++ox) {
        const PoolSpan x = pool_span(ox, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
        // (No cell inside: no address formed outside the input.)
        const bool empty = y.begin >= y.end || x.begin >= x.end;
        const std::int8_t* first = empty ? batch_input
                                         : batch_input + (y.origin + y.begin) * row_bytes +
                                               (x.origin + x.begin) * g.channels;
        std::int32_t c = 0;
        for (; c < groups_end; c += 4, out += 4) {
          std::uint32_t m = lowest;
          const std::int8_t* row = first + c;
          for (std::int32_t ky = y.begin; ky < y.end && !empty; ++ky, row += row_bytes) {
            const std::int8_t* cell = row;
            for (std::int32_t kx = x.begin; kx < x.end; ++kx, cell += g.channels) {
              m = max_lanes(dsp::load_word(cell), m);
            }
          }
          const std::uint32_t clamped = min_lanes(max_lanes(m, low), high);
          std::memcpy(out, &clamped, sizeof clamped);
        }
        for (; c < g.channels; ++c) {
          std::int32_t m = -128;
          const std::int8_t* row = first + c;
          for (std::int32_t ky = y.begin; ky < y.end && !empty; ++ky, row += row_bytes) {
            for (std::int32_t kx = 0; kx < x.end - x.begin; ++kx) {
              m = max_s32(m, row[kx * g.channels]);
            }
          }
          *out++ = static_cast<std::int8_t>(clamp_s32(m, act_min, act_max));
        }
      }
    }
  }
}

std::int32_t max_pool_s8_fast_scratch_bytes(const MaxPoolS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
