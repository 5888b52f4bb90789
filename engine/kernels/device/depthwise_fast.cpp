#include "engine/kernels/device/depthwise_fast.h"

#include <cstring>

#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {
namespace {

using dsp::channel_stage;
using dsp::ChannelStage;
using dsp::finish;
using dsp::load_word;
using dsp::smlad;
using dsp::sxtb16;
using dsp::sxtb16_ror8;

// acc + lane 0 of x * lane 0 of y (SMLABB), acc + lane 1 * lane 1 (SMLATT).
#if defined(__ARM_FEATURE_DSP)
inline std::int32_t smlabb(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return __smlabb(static_cast<std::int32_t>(x), static_cast<std::int32_t>(y), acc);
}
inline std::int32_t smlatt(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return __smlatt(static_cast<std::int32_t>(x), static_cast<std::int32_t>(y), acc);
}
#else
inline std::int32_t smlabb(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                   static_cast<std::uint32_t>(dsp::lane(x, 0) * dsp::lane(y, 0)));
}
inline std::int32_t smlatt(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                   static_cast<std::uint32_t>(dsp::lane(x, 1) * dsp::lane(y, 1)));
}
#endif

inline std::uint32_t load_half(const std::int8_t* p) {
  std::uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return h;
}

// Width of the channel group starting at channel c of in_c: 4, then 2, then 1.
inline std::int32_t group_width(std::int32_t c, std::int32_t in_c) {
  const std::int32_t rest = in_c - c;
  return rest >= 4 ? 4 : (rest >= 2 ? 2 : 1);
}

// Taps t and t + 1 of W channels (input at a and b), their reordered weights at w.
template <int W>
inline void tap_pair(const std::int8_t* a, const std::int8_t* b, const std::int8_t* w,
                     std::int32_t* acc) {
  if constexpr (W == 4) {
    const std::uint32_t xa = load_word(a), xb = load_word(b);
    const std::uint32_t lo = (xa & 0xFFFFu) | (xb << 16);          // PKHBT: c0 c1 | c0' c1'
    const std::uint32_t hi = (xb & 0xFFFF0000u) | (xa >> 16);      // PKHTB: c2 c3 | c2' c3'
    const std::uint32_t w01 = load_word(w), w23 = load_word(w + 4);
    acc[0] = smlad(sxtb16(lo), sxtb16(w01), acc[0]);
    acc[1] = smlad(sxtb16_ror8(lo), sxtb16_ror8(w01), acc[1]);
    acc[2] = smlad(sxtb16(hi), sxtb16(w23), acc[2]);
    acc[3] = smlad(sxtb16_ror8(hi), sxtb16_ror8(w23), acc[3]);
  } else if constexpr (W == 2) {
    const std::uint32_t lo = load_half(a) | (load_half(b) << 16);
    const std::uint32_t w01 = load_word(w);
    acc[0] = smlad(sxtb16(lo), sxtb16(w01), acc[0]);
    acc[1] = smlad(sxtb16_ror8(lo), sxtb16_ror8(w01), acc[1]);
  } else {
    acc[0] += a[0] * w[0] + b[0] * w[1];
  }
}

// An odd last tap of W channels (input at a).
template <int W>
inline void tap_single(const std::int8_t* a, const std::int8_t* w, std::int32_t* acc) {
  if constexpr (W == 4) {
    const std::uint32_t x = load_word(a), k = load_word(w);
    const std::uint32_t xe = sxtb16(x), xo = sxtb16_ror8(x);
    const std::uint32_t ke = sxtb16(k), ko = sxtb16_ror8(k);
    acc[0] = smlabb(xe, ke, acc[0]);
    acc[2] = smlatt(xe, ke, acc[2]);
    acc[1] = smlabb(xo, ko, acc[1]);
    acc[3] = smlatt(xo, ko, acc[3]);
  } else {
#pragma GCC unroll 2
    for (int j = 0; j < W; ++j) acc[j] += a[j] * w[j];
  }
}

// All T taps, unrolled (T a constant): tap t's input at at(t).
template <int W, int T, int t, typename At>
inline void taps_unrolled(const At& at, const std::int8_t* w, std::int32_t* acc) {
  if constexpr (t + 1 < T) {
    tap_pair<W>(at(t), at(t + 1), w + t * W, acc);
    taps_unrolled<W, T, t + 2>(at, w, acc);
  } else if constexpr (t < T) {
    tap_single<W>(at(t), w + t * W, acc);
  }
}

// All taps, looped: tap t's input at at(t).
template <int W, typename At>
inline void taps_looped(std::int32_t taps, const At& at, const std::int8_t* w, std::int32_t* acc) {
  std::int32_t t = 0;
  for (; t + 1 < taps; t += 2) tap_pair<W>(at(t), at(t + 1), w + t * W, acc);
  if (t < taps) tap_single<W>(at(t), w + t * W, acc);
}

// One channel group (W channels from c0) of one batch over every output pixel. Kernel3x3:
// the 3x3 taps unrolled with constant offsets.
template <int W, bool Kernel3x3>
void depthwise_group(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                     const std::int32_t* bias, std::int8_t* output, std::int32_t c0,
                     const std::int32_t* tap_offsets) {
  ChannelStage stage[W];
#pragma GCC unroll 4
  for (int j = 0; j < W; ++j) stage[j] = channel_stage(p, bias, c0 + j);
  const std::int32_t taps = p.kernel_h * p.kernel_w;
  const std::int8_t* w = weights + c0 * taps;
  const std::int32_t in_c = p.in_c, out_c = p.out_c;
  const std::int32_t row_bytes = p.in_w * in_c;
  const std::int32_t step = p.stride_w * in_c;
  // Interior output columns [ox_begin, ox_end) and rows [oy_begin, oy_end): the window lies
  // inside the input.
  auto interior_range = [](std::int32_t pad, std::int32_t stride, std::int32_t kernel,
                           std::int32_t in, std::int32_t out, std::int32_t& begin,
                           std::int32_t& end) {
    begin = (pad + stride - 1) / stride;
    const std::int32_t last = in - kernel + pad;  // the last origin + pad inside
    end = last < 0 ? 0 : last / stride + 1;
    if (end > out) end = out;
    if (begin > end) begin = end;
  };
  std::int32_t ox_begin, ox_end, oy_begin, oy_end;
  interior_range(p.pad_left, p.stride_w, p.kernel_w, p.in_w, p.out_w, ox_begin, ox_end);
  interior_range(p.pad_top, p.stride_h, p.kernel_h, p.in_h, p.out_h, oy_begin, oy_end);
  // Taps outside the input read the input zero point (-input_offset, an int8 by applies).
  std::int8_t pad[4];
  std::memset(pad, -p.input_offset, sizeof pad);
  const std::int8_t* tap_ptr[kDepthwiseFastMaxTaps];

  auto store = [&](std::int8_t* out, const std::int32_t* acc) {
#pragma GCC unroll 4
    for (int j = 0; j < W; ++j) out[j] = finish(p, stage[j], acc[j]);
  };
  auto border_pixel = [&](std::int32_t oy, std::int32_t ox, std::int8_t* out) {
    const std::int32_t y0 = oy * p.stride_h - p.pad_top, x0 = ox * p.stride_w - p.pad_left;
    std::int32_t t = 0;
    for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
      const std::int32_t iy = y0 + ky;
      for (std::int32_t kx = 0; kx < p.kernel_w; ++kx, ++t) {
        const std::int32_t ix = x0 + kx;
        tap_ptr[t] = (iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w)
                         ? input + (iy * p.in_w + ix) * in_c + c0
                         : pad;
      }
    }
    std::int32_t acc[W] = {};
    taps_looped<W>(taps, [&](std::int32_t i) { return tap_ptr[i]; }, w, acc);
    store(out, acc);
  };

  for (std::int32_t oy = 0; oy < p.out_h; ++oy) {
    std::int8_t* out_row = output + oy * p.out_w * out_c + c0;
    if (oy < oy_begin || oy >= oy_end) {
      for (std::int32_t ox = 0; ox < p.out_w; ++ox) border_pixel(oy, ox, out_row + ox * out_c);
      continue;
    }
    for (std::int32_t ox = 0; ox < ox_begin; ++ox) border_pixel(oy, ox, out_row + ox * out_c);
    const std::int8_t* base = input +
                              ((oy * p.stride_h - p.pad_top) * p.in_w +
                               (ox_begin * p.stride_w - p.pad_left)) *
                                  in_c +
                              c0;
    std::int8_t* out = out_row + ox_begin * out_c;
    for (std::int32_t ox = ox_begin; ox < ox_end; ++ox, base += step, out += out_c) {
      std::int32_t acc[W] = {};
      if constexpr (Kernel3x3) {
        taps_unrolled<W, 9, 0>(
            [&](std::int32_t t) { return base + (t / 3) * row_bytes + (t % 3) * in_c; }, w, acc);
      } else {
        taps_looped<W>(taps, [&](std::int32_t t) { return base + tap_offsets[t]; }, w, acc);
      }
      store(out, acc);
    }
    for (std::int32_t ox = ox_end; ox < p.out_w; ++ox) border_pixel(oy, ox, out_row + ox * out_c);
  }
}

template <bool Kernel3x3>
void depthwise_batch(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                     const std::int32_t* bias, std::int8_t* output,
                     const std::int32_t* tap_offsets) {
  for (std::int32_t c = 0; c < p.in_c;) {
    const std::int32_t width = group_width(c, p.in_c);
    if (width == 4) {
      depthwise_group<4, Kernel3x3>(p, input, weights, bias, output, c, tap_offsets);
    } else if (width == 2) {
      depthwise_group<2, Kernel3x3>(p, input, weights, bias, output, c, tap_offsets);
    } else {
      depthwise_group<1, Kernel3x3>(p, input, weights, bias, output, c, tap_offsets);
    }
    c += width;
  }
}

}  // namespace

bool depthwise_s8_fast_applies(const Conv2dS8Params& p) {
  return p.in_c_per_group == 1 && p.out_c_per_group == 1 && p.out_c == p.in_c && p.in_c > 0 &&
         p.dilation_h == 1 && p.dilation_w == 1 && p.kernel_h > 0 && p.kernel_w > 0 &&
         p.kernel_h * p.kernel_w <= kDepthwiseFastMaxTaps && p.stride_h > 0 && p.stride_w > 0 &&
         p.pad_top >= 0 && p.pad_left >= 0 && p.out_h > 0 && p.out_w > 0 && p.in_h > 0 &&
         p.in_w > 0 &&
         // The padding value -input_offset must be an int8.
         p.input_offset >= -127 && p.input_offset <= 128;
}

void depthwise_s8_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* in,
                                       std::int8_t* out) {
  const std::int32_t taps = p.kernel_h * p.kernel_w;
  const std::int32_t pairs = taps / 2;
  for (std::int32_t c0 = 0; c0 < p.out_c;) {
    const std::int32_t width = group_width(c0, p.out_c);
    std::int8_t* group = out + c0 * taps;
    for (std::int32_t j = 0; j < width; ++j) {
      for (std::int32_t t = 0; t < taps; ++t) {
        std::int32_t at;
        if (t < 2 * pairs) {
          const std::int32_t lanes = width < 2 ? width : 2;
          at = (t / 2) * 2 * width + (j / 2) * 4 + (t % 2) * lanes + j % 2;
        } else {
          at = pairs * 2 * width + j;
        }
        group[at] = in[(c0 + j) * taps + t];
      }
    }
    c0 += width;
  }
}

void depthwise_s8_fast(const Conv2dS8Params& p, const std::int8_t* input,
                       const std::int8_t* weights, const std::int32_t* folded_bias,
                       std::int8_t* output, std::int8_t* /*scratch*/) {
  // A local copy: the int8 output stores may alias anything the caller's params point into.
  const Conv2dS8Params local = p;
  const bool kernel3x3 = local.kernel_h == 3 && local.kernel_w == 3;
  std::int32_t tap_offsets[kDepthwiseFastMaxTaps];
  if (!kernel3x3) {
    std::int32_t t = 0;
    for (std::int32_t ky = 0; ky < local.kernel_h; ++ky)
      for (std::int32_t kx = 0; kx < local.kernel_w; ++kx)
        tap_offsets[t++] = (ky * local.in_w + kx) * local.in_c;
  }
  const std::int32_t in_batch = local.in_h * local.in_w * local.in_c;
  const std::int32_t out_batch = local.out_h * local.out_w * local.out_c;
  for (std::int32_t b = 0; b < local.batches; ++b) {
    if (kernel3x3) {
      depthwise_batch<true>(local, input + b * in_batch, weights, folded_bias,
                            output + b * out_batch, tap_offsets);
    } else {
      depthwise_batch<false>(local, input + b * in_batch, weights, folded_bias,
                             output + b * out_batch, tap_offsets);
    }
  }
}

std::int32_t depthwise_s8_fast_scratch_bytes(const Conv2dS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
