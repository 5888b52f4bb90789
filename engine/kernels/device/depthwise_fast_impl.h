// depthwise_fast's loops (depthwise_fast.h describes them), included by its two entry points'
// files: depthwise_fast.cpp (any output stage) and depthwise_fast_short.cpp (dsp.h's short
// stage), so a generated package holds only the variant its layers call.
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/kernels/device/depthwise_fast.h"
#include "engine/kernels/device/dsp.h"

namespace tinyscale::device::depthwise_fast_detail {

using dsp::channel_stage;
using dsp::ChannelStage;
using dsp::finish;
using dsp::smlad;
using dsp::sxtb16;
using dsp::sxtb16_ror8;

// Halfword packs: low half of a, low half of b in the top (PKHBT a, b, LSL #16); top half of b,
// top half of a in the bottom (PKHTB b, a, ASR #16). acc + lane 0 of x * lane 0 of y
// (SMLABB), acc + lane 1 * lane 1 (SMLATT).
#if defined(__ARM_FEATURE_DSP)
inline std::uint32_t pack_low_halves(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline std::uint32_t pack_high_halves(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
  return r;
}
inline std::int32_t smlabb(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return __smlabb(static_cast<std::int32_t>(x), static_cast<std::int32_t>(y), acc);
}
inline std::int32_t smlatt(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return __smlatt(static_cast<std::int32_t>(x), static_cast<std::int32_t>(y), acc);
}
#else
inline std::uint32_t pack_low_halves(std::uint32_t a, std::uint32_t b) {
  return (a & 0xFFFFu) | (b << 16);
}
inline std::uint32_t pack_high_halves(std::uint32_t a, std::uint32_t b) {
  return (b & 0xFFFF0000u) | (a >> 16);
}
inline std::int32_t smlabb(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                   static_cast<std::uint32_t>(dsp::lane(x, 0) * dsp::lane(y, 0)));
}
inline std::int32_t smlatt(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                   static_cast<std::uint32_t>(dsp::lane(x, 1) * dsp::lane(y, 1)));
}
#endif

// The W channels of one tap as a word (W = 4: a word; 2: a halfword; 1: the byte,
// sign-extended).
template <int W>
inline std::uint32_t load_tap(const std::int8_t* p) {
  if constexpr (W == 4) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  } else if constexpr (W == 2) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  } else {
    return static_cast<std::uint32_t>(static_cast<std::int32_t>(*p));
  }
}

inline std::uint32_t load_weights(const std::int8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Width of the channel group starting at channel c of in_c: 4, then 2, then 1.
inline std::int32_t group_width(std::int32_t c, std::int32_t in_c) {
  const std::int32_t rest = in_c - c;
  return rest >= 4 ? 4 : (rest >= 2 ? 2 : 1);
}

template <int W>
struct Acc {
  std::int32_t v[W];
};

// Taps t and t + 1 of W channels (their input words xa, xb), reordered weights at w.
template <int W>
inline void tap_pair(std::uint32_t xa, std::uint32_t xb, const std::int8_t* w, Acc<W>& acc) {
  if constexpr (W == 4) {
    const std::uint32_t lo = pack_low_halves(xa, xb);   // c0 c1 | c0' c1'
    const std::uint32_t hi = pack_high_halves(xa, xb);  // c2 c3 | c2' c3'
    const std::uint32_t w01 = load_weights(w), w23 = load_weights(w + 4);
    acc.v[0] = smlad(sxtb16(lo), sxtb16(w01), acc.v[0]);
    acc.v[1] = smlad(sxtb16_ror8(lo), sxtb16_ror8(w01), acc.v[1]);
    acc.v[2] = smlad(sxtb16(hi), sxtb16(w23), acc.v[2]);
    acc.v[3] = smlad(sxtb16_ror8(hi), sxtb16_ror8(w23), acc.v[3]);
  } else if constexpr (W == 2) {
    const std::uint32_t lo = pack_low_halves(xa, xb);
    const std::uint32_t w01 = load_weights(w);
    acc.v[0] = smlad(sxtb16(lo), sxtb16(w01), acc.v[0]);
    acc.v[1] = smlad(sxtb16_ror8(lo), sxtb16_ror8(w01), acc.v[1]);
  } else {
    acc.v[0] += static_cast<std::int32_t>(xa) * w[0] + static_cast<std::int32_t>(xb) * w[1];
  }
}

// An odd last tap of W channels (input word x).
template <int W>
inline void tap_single(std::uint32_t x, const std::int8_t* w, Acc<W>& acc) {
  if constexpr (W == 4) {
    const std::uint32_t k = load_weights(w);
    const std::uint32_t xe = sxtb16(x), xo = sxtb16_ror8(x);
    const std::uint32_t ke = sxtb16(k), ko = sxtb16_ror8(k);
    acc.v[0] = smlabb(xe, ke, acc.v[0]);
    acc.v[2] = smlatt(xe, ke, acc.v[2]);
    acc.v[1] = smlabb(xo, ko, acc.v[1]);
    acc.v[3] = smlatt(xo, ko, acc.v[3]);
  } else if constexpr (W == 2) {
    acc.v[0] += static_cast<std::int8_t>(x & 0xFF) * w[0];
    acc.v[1] += static_cast<std::int8_t>((x >> 8) & 0xFF) * w[1];
  } else {
    acc.v[0] += static_cast<std::int32_t>(x) * w[0];
  }
}

// All T taps unrolled (T a constant); load(t) gives tap t's input word.
template <int W, int T, int t, typename Load>
inline void taps_unrolled(const Load& load, const std::int8_t* w, Acc<W>& acc) {
  if constexpr (t + 1 < T) {
    tap_pair<W>(load(t), load(t + 1), w + t * W, acc);
    taps_unrolled<W, T, t + 2>(load, w, acc);
  } else if constexpr (t < T) {
    tap_single<W>(load(t), w + t * W, acc);
  }
}

// All taps, looped.
template <int W, typename Load>
inline void taps_looped(std::int32_t taps, const Load& load, const std::int8_t* w, Acc<W>& acc) {
  std::int32_t t = 0;
  for (; t + 1 < taps; t += 2) tap_pair<W>(load(t), load(t + 1), w + t * W, acc);
  if (t < taps) tap_single<W>(load(t), w + t * W, acc);
}

template <int W, typename Stage>
inline void store(const Conv2dS8Params& p, const Stage* stage, const Acc<W>& acc,
                  std::int8_t* out) {
  out[0] = finish(p, stage[0], acc.v[0]);
  if constexpr (W >= 2) out[1] = finish(p, stage[1], acc.v[1]);
  if constexpr (W == 4) {
    out[2] = finish(p, stage[2], acc.v[2]);
    out[3] = finish(p, stage[3], acc.v[3]);
  }
}

// The geometry one channel group's loops need, all by value.
struct Geometry {
  std::int32_t in_h, in_w, in_c, out_c, kernel_h, kernel_w, stride_w, row_bytes;
};

// A pixel whose window leaves the input: taps outside read `pad` (the input zero point).
// origin: the window's top-left input offset (may be negative); y0, x0 its coordinates.
template <int W, typename Stage>
void border_pixel(const Conv2dS8Params& p, const Geometry& g, const std::int8_t* input,
                  const std::int8_t* w, std::int32_t y0, std::int32_t x0, std::uint32_t pad,
                  const Stage* stage, std::int8_t* out) {
  auto load = [&](std::int32_t t) {
    const std::int32_t ky = t / g.kernel_w, kx = t - ky * g.kernel_w;
    const std::int32_t iy = y0 + ky, ix = x0 + kx;
    return (iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w)
               ? load_tap<W>(input + iy * g.row_bytes + ix * g.in_c)
               : pad;
  };
  Acc<W> acc{};
  taps_looped<W>(g.kernel_h * g.kernel_w, load, w, acc);
  store<W>(p, stage, acc, out);
}

// A 3x3 window whose rows lie inside the input but not all its columns (a left or right
// edge): the taps unrolled, a column outside reads pad.
template <int W, typename Stage>
void edge_pixel_3x3(const Conv2dS8Params& p, const Geometry& g, const std::int8_t* row0,
                    const std::int8_t* w, std::int32_t x0, std::uint32_t pad, const Stage* stage,
                    std::int8_t* out) {
  const bool ok0 = x0 >= 0 && x0 < g.in_w, ok1 = x0 + 1 >= 0 && x0 + 1 < g.in_w,
             ok2 = x0 + 2 >= 0 && x0 + 2 < g.in_w;
  const std::int8_t* at = row0 + x0 * g.in_c;
  const std::int32_t row_bytes = g.row_bytes, in_c = g.in_c;
  Acc<W> acc{};
  taps_unrolled<W, 9, 0>(
      [&](std::int32_t t) {
        const std::int32_t kx = t % 3;
        const bool ok = kx == 0 ? ok0 : (kx == 1 ? ok1 : ok2);
        return ok ? load_tap<W>(at + (t / 3) * row_bytes + kx * in_c) : pad;
      },
      w, acc);
  store<W>(p, stage, acc, out);
}

// `count` interior pixels of one output row from input `base` (the first window's top-left),
// each `step` input bytes on.
template <int W, bool Kernel3x3, typename Stage>
void interior_run(const Conv2dS8Params& p, const std::int8_t* base, std::int32_t count,
                  std::int32_t step, std::int32_t in_c, std::int32_t row_bytes, std::int32_t taps,
                  const std::int32_t* tap_offsets, const std::int8_t* w, const Stage* stage,
                  std::int8_t* out, std::int32_t out_c) {
  for (; count > 0; --count, base += step, out += out_c) {
    Acc<W> acc{};
    if constexpr (Kernel3x3) {
      const std::int8_t* r0 = base;
      const std::int8_t* r1 = base + row_bytes;
      const std::int8_t* r2 = r1 + row_bytes;
      taps_unrolled<W, 9, 0>(
          [&](std::int32_t t) {
            const std::int8_t* r = t < 3 ? r0 : (t < 6 ? r1 : r2);
            return load_tap<W>(r + (t % 3) * in_c);
          },
          w, acc);
    } else {
      taps_looped<W>(
          taps, [&](std::int32_t t) { return load_tap<W>(base + tap_offsets[t]); }, w, acc);
    }
    store<W>(p, stage, acc, out);
  }
}

// One channel group (W channels from c0) of one batch over every output pixel.
template <int W, bool Kernel3x3, typename Stage>
void depthwise_group(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                     const std::int32_t* bias, std::int8_t* output, std::int32_t c0,
                     const std::int32_t* tap_offsets) {
  Stage stage[W];
  for (int j = 0; j < W; ++j) stage[j] = dsp::make_stage<Stage>(p, bias, c0 + j);
  const std::int32_t taps = p.kernel_h * p.kernel_w;
  const std::int8_t* w = weights + c0 * taps;
  const Geometry g = {p.in_h,     p.in_w,     p.in_c,     p.out_c,
                      p.kernel_h, p.kernel_w, p.stride_w, p.in_w * p.in_c};
  // Interior output columns [ox_begin, ox_end) and rows [oy_begin, oy_end): the window lies
  // inside the input.
  auto interior_range = [](std::int32_t pad, std::int32_t stride, std::int32_t kernel,
                           std::int32_t in, std::int32_t out, std::int32_t& begin,
                           std::int32_t& end) {
    begin = (pad + stride - 1) / stride;
    const std::int32_t last = in - kernel + pad;  // the last window origin + pad inside
    end = last < 0 ? 0 : last / stride + 1;
    if (end > out) end = out;
    if (begin > end) begin = end;
  };
  std::int32_t ox_begin, ox_end, oy_begin, oy_end;
  interior_range(p.pad_left, p.stride_w, p.kernel_w, p.in_w, p.out_w, ox_begin, ox_end);
  interior_range(p.pad_top, p.stride_h, p.kernel_h, p.in_h, p.out_h, oy_begin, oy_end);
  // Taps outside the input read the input zero point (-input_offset, an int8 by applies).
  const auto zero_point = static_cast<std::uint8_t>(-p.input_offset);
  std::uint32_t pad = zero_point * 0x01010101u;
  if constexpr (W == 2) pad &= 0xFFFFu;
  if constexpr (W == 1)
    pad =
        static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int8_t>(zero_point)));
  const std::int8_t* group_input = input + c0;
  const std::int32_t out_row_bytes = p.out_w * g.out_c;

  // A left or right edge pixel of a row inside: unrolled for 3x3, else the border loop.
  auto edge = [&](std::int32_t y0, const std::int8_t* row0, std::int32_t ox, std::int8_t* out_row) {
    const std::int32_t x0 = ox * p.stride_w - p.pad_left;
    if constexpr (Kernel3x3) {
      edge_pixel_3x3<W>(p, g, row0, w, x0, pad, stage, out_row + ox * g.out_c);
    } else {
      (void)row0;
      border_pixel<W>(p, g, group_input, w, y0, x0, pad, stage, out_row + ox * g.out_c);
    }
  };
  for (std::int32_t oy = 0; oy < p.out_h; ++oy) {
    std::int8_t* out_row = output + oy * out_row_bytes + c0;
    const std::int32_t y0 = oy * p.stride_h - p.pad_top;
    const bool row_inside = oy >= oy_begin && oy < oy_end;
    if (!row_inside) {
      for (std::int32_t ox = 0; ox < p.out_w; ++ox) {
        border_pixel<W>(p, g, group_input, w, y0, ox * p.stride_w - p.pad_left, pad, stage,
                        out_row + ox * g.out_c);
      }
      continue;
    }
    const std::int8_t* row0 = group_input + y0 * g.row_bytes;
    for (std::int32_t ox = 0; ox < ox_begin; ++ox) edge(y0, row0, ox, out_row);
    const std::int8_t* base =
        group_input + y0 * g.row_bytes + (ox_begin * p.stride_w - p.pad_left) * g.in_c;
    interior_run<W, Kernel3x3>(p, base, ox_end - ox_begin, p.stride_w * g.in_c, g.in_c, g.row_bytes,
                               taps, tap_offsets, w, stage, out_row + ox_begin * g.out_c, g.out_c);
    for (std::int32_t ox = ox_end; ox < p.out_w; ++ox) edge(y0, row0, ox, out_row);
  }
}

template <bool Kernel3x3, typename Stage>
void depthwise_batch(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                     const std::int32_t* bias, std::int8_t* output,
                     const std::int32_t* tap_offsets) {
  for (std::int32_t c = 0; c < p.in_c;) {
    const std::int32_t width = group_width(c, p.in_c);
    if (width == 4) {
      depthwise_group<4, Kernel3x3, Stage>(p, input, weights, bias, output, c, tap_offsets);
    } else if (width == 2) {
      depthwise_group<2, Kernel3x3, Stage>(p, input, weights, bias, output, c, tap_offsets);
    } else {
      depthwise_group<1, false, Stage>(p, input, weights, bias, output, c, tap_offsets);
    }
    c += width;
  }
}

// One call of either entry point with the output stage Stage (ChannelStage: any params;
// dsp::ShortStage: dsp::short_output(p)).
template <typename Stage>
void run(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
         const std::int32_t* folded_bias, std::int8_t* output) {
  const bool kernel3x3 = p.kernel_h == 3 && p.kernel_w == 3;
  std::int32_t tap_offsets[kDepthwiseFastMaxTaps];
  std::int32_t t = 0;
  for (std::int32_t ky = 0; ky < p.kernel_h; ++ky)
    for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) tap_offsets[t++] = (ky * p.in_w + kx) * p.in_c;
  dsp::for_each_batch(
      p, input, output, [&](const Conv2dS8Params& q, const std::int8_t* in, std::int8_t* out) {
        if (kernel3x3) {
          depthwise_batch<true, Stage>(q, in, weights, folded_bias, out, tap_offsets);
        } else {
          depthwise_batch<false, Stage>(q, in, weights, folded_bias, out, tap_offsets);
        }
      });
}

}  // namespace tinyscale::device::depthwise_fast_detail
