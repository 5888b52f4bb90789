// conv2d_gemm_fast's loops (conv2d_gemm_fast.h describes them), included by its two entry points'
// files: conv2d_gemm_fast.cpp (any output stage) and conv2d_gemm_fast_short.cpp (dsp.h's short
// stage), so a generated package holds only the variant its layers call.
#pragma once

#include <cstring>

#include "engine/kernels/device/conv2d_gemm_fast.h"
#include "engine/kernels/device/conv2d_quads.h"
#include "engine/kernels/device/dsp.h"

namespace tinyscale::device {
namespace {

using dsp::ChannelStage;

inline std::uint32_t load_pair(const std::int16_t* p) {
  std::uint32_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Where weight k of a group of four goes in the reordered word: bytes (w0, w2, w1, w3), so
// that SXTB16 gives the lanes (w0, w1) and SXTB16 ROR #8 (w2, w3), the column's pairs.
constexpr std::int32_t kGroupByte[4] = {0, 2, 1, 3};

// n input values to int16, four per step.
inline void copy_run(std::int16_t* dst, const std::int8_t* src, std::int32_t n) {
  for (; n >= 4; n -= 4, dst += 4, src += 4) {
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = src[2];
    dst[3] = src[3];
  }
  for (; n > 0; --n) *dst++ = *src++;
}

inline void fill_run(std::int16_t* dst, std::int32_t n, std::int16_t pad) {
  for (; n > 0; --n) *dst++ = pad;
}

// The column of output pixel (oy, ox): its window in (ky, kx, ic) order as int16, taps
// outside the input = pad.
void im2col(const Conv2dS8Params& p, const std::int8_t* input, std::int32_t oy, std::int32_t ox,
            std::int16_t* col, std::int16_t pad) {
  const std::int32_t in_c = p.in_c;
  const std::int32_t row_len = p.kernel_w * in_c;
  const std::int32_t y0 = oy * p.stride_h - p.pad_top;
  const std::int32_t x0 = ox * p.stride_w - p.pad_left;
  const bool row_inside = x0 >= 0 && x0 + p.kernel_w <= p.in_w;
  for (std::int32_t ky = 0; ky < p.kernel_h; ++ky, col += row_len) {
    const std::int32_t y = y0 + ky;
    if (y < 0 || y >= p.in_h) {
      fill_run(col, row_len, pad);
      continue;
    }
    const std::int8_t* row = input + y * p.in_w * in_c;
    if (row_inside) {
      copy_run(col, row + x0 * in_c, row_len);
      continue;
    }
    for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) {
      const std::int32_t x = x0 + kx;
      if (x < 0 || x >= p.in_w) {
        fill_run(col + kx * in_c, in_c, pad);
      } else {
        copy_run(col + kx * in_c, row + x * in_c, in_c);
      }
    }
  }
}

// out0[oc] (and out1[oc] when Pixels is 2) for the columns col0 (and col1): their dot
// products with each channel's weights, 2 channels x Pixels per inner iteration over the
// reordered weights (conv2d_s8_gemm_fast_reorder_weights).
template <int Pixels, typename Stage>
void gemm(const Conv2dS8Params& p, const std::int8_t* weights, const std::int32_t* bias,
          const std::int16_t* col0, const std::int16_t* col1, std::int8_t* out0,
          std::int8_t* out1) {
  const std::int32_t k_len = p.kernel_h * p.kernel_w * p.in_c;
  const std::int32_t k4 = k_len & ~3;
  const std::int32_t tail = k_len - k4;
  const std::int32_t out_c = p.out_c;
  std::int32_t oc = 0;
  for (; oc + 1 < out_c; oc += 2) {
    const std::int8_t* w = weights + oc * k_len;      // the pair's block: 8 bytes per group
    std::int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;  // a<channel><pixel>
    const std::int16_t* c0 = col0;
    const std::int16_t* c1 = col1;
#pragma GCC unroll 2
    for (const std::int8_t* end = w + 2 * k4; w != end; w += 8, c0 += 4) {
      const std::uint32_t wa = dsp::load_word(w);
      const std::uint32_t wb = dsp::load_word(w + 4);
      const std::uint32_t wa01 = dsp::sxtb16(wa), wa23 = dsp::sxtb16_ror8(wa);
      const std::uint32_t wb01 = dsp::sxtb16(wb), wb23 = dsp::sxtb16_ror8(wb);
      const std::uint32_t x01 = load_pair(c0), x23 = load_pair(c0 + 2);
      a00 = dsp::smlad(x01, wa01, a00);
      a00 = dsp::smlad(x23, wa23, a00);
      a10 = dsp::smlad(x01, wb01, a10);
      a10 = dsp::smlad(x23, wb23, a10);
      if constexpr (Pixels == 2) {
        const std::uint32_t y01 = load_pair(c1), y23 = load_pair(c1 + 2);
        c1 += 4;
        a01 = dsp::smlad(y01, wa01, a01);
        a01 = dsp::smlad(y23, wa23, a01);
        a11 = dsp::smlad(y01, wb01, a11);
        a11 = dsp::smlad(y23, wb23, a11);
      }
    }
    for (std::int32_t i = 0; i < tail; ++i) {  // channel oc's tail, then oc + 1's
      const std::int32_t wa = w[i], wb = w[tail + i];
      a00 += c0[i] * wa;
      a10 += c0[i] * wb;
      if constexpr (Pixels == 2) {
        a01 += c1[i] * wa;
        a11 += c1[i] * wb;
      }
    }
    const Stage s0 = dsp::make_stage<Stage>(p, bias, oc);
    const Stage s1 = dsp::make_stage<Stage>(p, bias, oc + 1);
    out0[oc] = dsp::finish(p, s0, a00);
    out0[oc + 1] = dsp::finish(p, s1, a10);
    if constexpr (Pixels == 2) {
      out1[oc] = dsp::finish(p, s0, a01);
      out1[oc + 1] = dsp::finish(p, s1, a11);
    }
  }
  if (oc < out_c) {  // odd channel count: the last channel, 4 bytes per group
    const std::int8_t* w = weights + oc * k_len;
    std::int32_t a00 = 0, a01 = 0;
    const std::int16_t* c0 = col0;
    const std::int16_t* c1 = col1;
    for (const std::int8_t* end = w + k4; w != end; w += 4, c0 += 4) {
      const std::uint32_t wa = dsp::load_word(w);
      const std::uint32_t wa01 = dsp::sxtb16(wa), wa23 = dsp::sxtb16_ror8(wa);
      a00 = dsp::smlad(load_pair(c0), wa01, a00);
      a00 = dsp::smlad(load_pair(c0 + 2), wa23, a00);
      if constexpr (Pixels == 2) {
        a01 = dsp::smlad(load_pair(c1), wa01, a01);
        a01 = dsp::smlad(load_pair(c1 + 2), wa23, a01);
        c1 += 4;
      }
    }
    for (std::int32_t i = 0; i < tail; ++i) {
      a00 += c0[i] * w[i];
      if constexpr (Pixels == 2) a01 += c1[i] * w[i];
    }
    const Stage s0 = dsp::make_stage<Stage>(p, bias, oc);
    out0[oc] = dsp::finish(p, s0, a00);
    if constexpr (Pixels == 2) out1[oc] = dsp::finish(p, s0, a01);
  }
}

// One output pixel's window read in K order (ky, kx, ic) straight from the input, taps
// outside it = pad.
class Window {
 public:
  Window(const Conv2dS8Params& p, const std::int8_t* input, std::int32_t oy, std::int32_t ox,
         std::int16_t pad)
      : p_(p),
        input_(input),
        y0_(oy * p.stride_h - p.pad_top),
        x0_(ox * p.stride_w - p.pad_left),
        pad_(pad) {}

  void start() {
    ky_ = kx_ = ic_ = 0;
    locate();
  }
  // The next value.
  std::int32_t next() {
    const std::int32_t v = inside_ ? src_[ic_] : pad_;
    if (++ic_ == p_.in_c) advance();
    return v;
  }
  std::int32_t y0() const { return y0_; }
  std::int32_t x0() const { return x0_; }
  std::uint32_t pad_pair() const { return pair(pad_, pad_); }
  static std::uint32_t pair(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint32_t>(a) & 0xFFFFu) | (static_cast<std::uint32_t>(b) << 16);
  }

 private:
  void advance() {
    ic_ = 0;
    if (++kx_ == p_.kernel_w) {
      kx_ = 0;
      ++ky_;
    }
    if (ky_ < p_.kernel_h) locate();
  }
  void locate() {
    const std::int32_t y = y0_ + ky_, x = x0_ + kx_;
    inside_ = y >= 0 && y < p_.in_h && x >= 0 && x < p_.in_w;
    src_ = inside_ ? input_ + (y * p_.in_w + x) * p_.in_c : input_;
  }

  const Conv2dS8Params& p_;
  const std::int8_t* input_;
  std::int32_t y0_, x0_;
  std::int32_t pad_;
  std::int32_t ky_ = 0, kx_ = 0, ic_ = 0;
  const std::int8_t* src_ = nullptr;
  bool inside_ = false;
};

// N (4, 2 or 1) channels from the even channel oc of one pixel without a column: pairs (oc, oc + 1)
// and (oc + 2, oc + 3) as reordered, an odd last channel alone; the window read once for the
// N channels, tap by tap a word at a time when in_c % 4 == 0 (Words; a group of 4 values of K
// then lies in one tap), else value by value. Same sums as the GEMM's.
// out[oc + c] for c < n from the accumulators acc[c]. Out of line (the direct path is cold):
// one copy of the output stage for all of its variants.
__attribute__((noinline)) void store_outputs(const Conv2dS8Params& p, const std::int32_t* bias,
                                             std::int32_t oc, std::int32_t n,
                                             const std::int32_t* acc, std::int8_t* out) {
  for (std::int32_t c = 0; c < n; ++c) {
    out[oc + c] = dsp::finish(p, dsp::channel_stage(p, bias, oc + c), acc[c]);
  }
}

template <int N, bool Words>
void direct_channels(const Conv2dS8Params& p, const std::int8_t* input, Window& window,
                     const std::int8_t* weights, const std::int32_t* bias, std::int32_t oc,
                     std::int8_t* out) {
  const std::int32_t k_len = p.kernel_h * p.kernel_w * p.in_c;
  const std::int32_t k4 = k_len & ~3;
  // Group strides of the two pairs' blocks (8 bytes for a pair, 4 for a lone channel).
  constexpr std::int32_t kStepA = N >= 2 ? 8 : 4;
  constexpr std::int32_t kStepB = N == 4 ? 8 : 4;
  const std::int8_t* wa = weights + oc * k_len;
  const std::int8_t* wb = wa + 2 * k_len;
  // Scalars, not arrays: the compiler keeps them in registers.
  std::int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  auto group = [&](std::uint32_t lo, std::uint32_t hi) {
    const std::uint32_t w0 = dsp::load_word(wa);
    a0 = dsp::smlad(hi, dsp::sxtb16_ror8(w0), dsp::smlad(lo, dsp::sxtb16(w0), a0));
    if constexpr (N >= 2) {
      const std::uint32_t w1 = dsp::load_word(wa + 4);
      a1 = dsp::smlad(hi, dsp::sxtb16_ror8(w1), dsp::smlad(lo, dsp::sxtb16(w1), a1));
    }
    if constexpr (N >= 3) {
      const std::uint32_t w2 = dsp::load_word(wb);
      a2 = dsp::smlad(hi, dsp::sxtb16_ror8(w2), dsp::smlad(lo, dsp::sxtb16(w2), a2));
    }
    if constexpr (N >= 4) {
      const std::uint32_t w3 = dsp::load_word(wb + 4);
      a3 = dsp::smlad(hi, dsp::sxtb16_ror8(w3), dsp::smlad(lo, dsp::sxtb16(w3), a3));
    }
    wa += kStepA;
    if constexpr (N >= 3) wb += kStepB;
  };
  if constexpr (Words) {
    const std::int32_t in_c = p.in_c;
    const std::uint32_t pad = window.pad_pair();
    for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
      const std::int32_t y = window.y0() + ky;
      const bool row_inside = y >= 0 && y < p.in_h;
      for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) {
        const std::int32_t x = window.x0() + kx;
        const bool inside = row_inside && x >= 0 && x < p.in_w;
        const std::int8_t* src = inside ? input + (y * p.in_w + x) * in_c : input;
        for (std::int32_t i = 0; i < in_c; i += 4) {
          std::uint32_t lo = pad, hi = pad;
          if (inside) {
            const std::uint32_t v = dsp::load_word(src + i);
            const std::uint32_t e = dsp::sxtb16(v), o = dsp::sxtb16_ror8(v);
            lo = dsp::pack_low_halves(e, o);
            hi = dsp::pack_high_halves(e, o);
          }
          group(lo, hi);
        }
      }
    }
  } else {
    window.start();
    for (std::int32_t g = 0; g < k4; g += 4) {
      const std::int32_t v0 = window.next(), v1 = window.next();
      const std::int32_t v2 = window.next(), v3 = window.next();
      group(Window::pair(v0, v1), Window::pair(v2, v3));
    }
    // The tails: after the groups, the pair's first channel's then its second's.
    const std::int32_t tail = k_len - k4;
    for (std::int32_t i = 0; i < tail; ++i) {
      const std::int32_t v = window.next();
      auto mac = [v](std::int32_t acc, std::int32_t wv) {
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                         static_cast<std::uint32_t>(v * wv));
      };
      a0 = mac(a0, wa[i]);
      if constexpr (N >= 2) a1 = mac(a1, wa[tail + i]);
      if constexpr (N >= 3) a2 = mac(a2, wb[i]);
      if constexpr (N >= 4) a3 = mac(a3, wb[tail + i]);
    }
  }
  const std::int32_t acc[4] = {a0, a1, a2, a3};
  store_outputs(p, bias, oc, N, acc, out);
}

template <bool Words>
void direct_pixel_channels(const Conv2dS8Params& p, const std::int8_t* input, Window& window,
                           const std::int8_t* weights, const std::int32_t* bias, std::int8_t* out) {
  std::int32_t oc = 0;
  for (; oc + 4 <= p.out_c; oc += 4) {
    direct_channels<4, Words>(p, input, window, weights, bias, oc, out);
  }
  if (oc + 2 <= p.out_c) {
    direct_channels<2, Words>(p, input, window, weights, bias, oc, out);
    oc += 2;
  }
  if (oc < p.out_c) direct_channels<1, Words>(p, input, window, weights, bias, oc, out);
}

// Output pixel (oy, ox) without a column (direct_channels, 4 channels at a time), for the
// last pixels, whose unwritten output is too small to hold one. Out of line: it is cold.
__attribute__((noinline)) void direct_pixel(const Conv2dS8Params& p, const std::int8_t* input,
                                            const std::int8_t* weights, const std::int32_t* bias,
                                            std::int32_t oy, std::int32_t ox, std::int8_t* out,
                                            std::int16_t pad) {
  Window window(p, input, oy, ox, pad);
  if ((p.in_c & 3) == 0) {
    direct_pixel_channels<true>(p, input, window, weights, bias, out);
  } else {
    direct_pixel_channels<false>(p, input, window, weights, bias, out);
  }
}

// Bytes from `at` to the next 4-byte boundary.
inline std::int32_t misalignment(const std::int8_t* at) {
  return static_cast<std::int32_t>((4u - (reinterpret_cast<std::uintptr_t>(at) & 3u)) & 3u);
}

// One batch. The columns live in the part of the output not written yet (the outputs of the
// pixels after the ones being computed, from a word boundary): no scratch, so no arena byte.
// Two pixels at a time while 2 columns fit there, then one at a time while 1 fits, then the
// last pixels directly (direct_pixel). Stage: the output stage's type (dsp.h), per call.
template <typename Stage>
void convolve(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
              const std::int32_t* bias, std::int8_t* output) {
  const std::int32_t k_len = p.kernel_h * p.kernel_w * p.in_c;
  const std::int32_t column_bytes = 2 * k_len;
  const auto pad = static_cast<std::int16_t>(-p.input_offset);
  const std::int32_t pixels = p.out_h * p.out_w;
  const std::int32_t out_c = p.out_c;
  std::int32_t oy = 0, ox = 0;
  auto next = [&] {
    if (++ox == p.out_w) {
      ox = 0;
      ++oy;
    }
  };
  std::int32_t px = 0;
  for (; px + 1 < pixels; px += 2) {
    std::int8_t* const free_start = output + (px + 2) * out_c;
    const std::int32_t skip = misalignment(free_start);
    if ((pixels - px - 2) * out_c - skip < 2 * column_bytes) break;
    auto* col0 = reinterpret_cast<std::int16_t*>(free_start + skip);
    std::int16_t* col1 = col0 + k_len;
    im2col(p, input, oy, ox, col0, pad);
    next();
    im2col(p, input, oy, ox, col1, pad);
    next();
    std::int8_t* out0 = output + px * out_c;
    gemm<2, Stage>(p, weights, bias, col0, col1, out0, out0 + out_c);
  }
  for (; px < pixels; ++px, next()) {
    std::int8_t* const out0 = output + px * out_c;
    std::int8_t* const free_start = out0 + out_c;
    const std::int32_t skip = misalignment(free_start);
    if ((pixels - px - 1) * out_c - skip >= column_bytes) {
      auto* col0 = reinterpret_cast<std::int16_t*>(free_start + skip);
      im2col(p, input, oy, ox, col0, pad);
      gemm<1, Stage>(p, weights, bias, col0, nullptr, out0, nullptr);
    } else {
      direct_pixel(p, input, weights, bias, oy, ox, out0, pad);
    }
  }
}

// conv2d_s8_gemm_fast_takes_quads(p): two pixels at a time, their windows expanded (4 values
// of K per group: conv2d_quads.h's order) into the unwritten output after them, then one quad
// call per 4 output channels (on the DSP quad_expanded_short, the output stage included).
// Where the unwritten output cannot hold the expansion (the last pixels), the quads read the
// windows' words directly. Group g's word: window row g * 4 / (kernel_w x in_c), 4 bytes
// from its offset, straight from the input where the whole window is inside, else byte by
// byte with the input zero point outside.
struct QuadWindow {
  const std::int8_t* base;  // the window's first byte where it lies inside the input
  std::int32_t y0, x0;
  bool inside;
};

inline QuadWindow quad_window(const Conv2dS8Params& p, const std::int8_t* input, std::int32_t px) {
  const std::int32_t oy = px / p.out_w, ox = px - oy * p.out_w;
  QuadWindow w;
  w.y0 = oy * p.stride_h - p.pad_top;
  w.x0 = ox * p.stride_w - p.pad_left;
  w.inside = w.y0 >= 0 && w.y0 + p.kernel_h <= p.in_h && w.x0 >= 0 && w.x0 + p.kernel_w <= p.in_w;
  w.base = w.inside ? input + (w.y0 * p.in_w + w.x0) * p.in_c : input;
  return w;
}

// The 4 bytes of window row ky from offset o (o % 4 == 0) as a word.
inline std::uint32_t quad_word(const Conv2dS8Params& p, const std::int8_t* input,
                               const QuadWindow& w, std::int32_t ky, std::int32_t o) {
  const std::int32_t row_bytes = p.in_w * p.in_c;
  if (w.inside) return dsp::load_word(w.base + ky * row_bytes + o);
  const auto zero_point = static_cast<std::uint8_t>(-p.input_offset);
  const std::uint32_t pad = zero_point * 0x01010101u;
  const std::int32_t y = w.y0 + ky;
  if (y < 0 || y >= p.in_h) return pad;
  const std::int8_t* row = input + y * row_bytes;
  if (p.in_c % 4 == 0) {  // one tap's 4 channels: inside or not as a whole
    const std::int32_t x = w.x0 + o / p.in_c;
    return x >= 0 && x < p.in_w ? dsp::load_word(row + x * p.in_c + o % p.in_c) : pad;
  }
  if (p.in_c == 1 && p.in_w >= 4) {  // 4 columns x .. x + 3: a word of the row, shifted
    const std::int32_t x = w.x0 + o;
    if (x <= -4 || x >= p.in_w) return pad;
    if (x < 0) {  // bytes 0 .. -x - 1 outside
      const std::uint32_t low = 8u * static_cast<std::uint32_t>(-x);
      return (dsp::load_word(row) << low) | (pad & ((1u << low) - 1u));
    }
    if (x + 4 > p.in_w) {  // bytes in_w - x .. 3 outside
      const std::uint32_t high = 8u * static_cast<std::uint32_t>(x + 4 - p.in_w);
      return (dsp::load_word(row + p.in_w - 4) >> high) | (pad & ~(0xFFFFFFFFu >> high));
    }
    return dsp::load_word(row + x);
  }
  std::uint32_t v = 0;
  for (std::int32_t j = 0; j < 4; ++j) {
    const std::int32_t kx = (o + j) / p.in_c, ic = (o + j) - kx * p.in_c;
    const std::int32_t x = w.x0 + kx;
    const std::uint32_t b =
        x >= 0 && x < p.in_w ? static_cast<std::uint8_t>(row[x * p.in_c + ic]) : zero_point;
    v |= b << (8 * j);
  }
  return v;
}

// The quad's 8 outputs from its accumulators (bias included): the short stage in C++.
inline void quad_store(const Conv2dS8Params& p, std::int32_t oc, const std::int32_t* acc,
                       std::int8_t* out0, std::int8_t* out1) {
  for (std::int32_t c = 0; c < 4; ++c) {
    const dsp::ShortStage s = dsp::short_stage(p, nullptr, oc + c);
    out1[oc + c] = dsp::requantize_short(s, acc[2 * c + 1]);
    out0[oc + c] = dsp::requantize_short(s, acc[2 * c]);
  }
}

inline void convolve_quads(const Conv2dS8Params& p, const std::int8_t* input,
                           const std::int8_t* weights, const std::int32_t* bias,
                           std::int8_t* output) {
  const std::int32_t row_len = p.kernel_w * p.in_c;
  const std::int32_t groups = p.kernel_h * row_len / 4;
  const std::int32_t expanded = 16 * groups;
  const std::int32_t pixels = p.out_h * p.out_w;
  const std::int32_t out_c = p.out_c;
  std::int8_t* const output_end = output + pixels * out_c;
  for (std::int32_t px = 0; px < pixels; px += 2) {
    const std::int32_t px1 = px + 1 < pixels ? px + 1 : px;
    const QuadWindow w0 = quad_window(p, input, px), w1 = quad_window(p, input, px1);
    std::int8_t* const out0 = output + px * out_c;
    std::int8_t* const out1 = output + px1 * out_c;
    std::int8_t* const xs = output + (px + 2) * out_c + misalignment(output + (px + 2) * out_c);
    const bool expand = px1 == px + 1 && xs + expanded <= output_end;
    const std::int8_t* w = weights;
    if (expand) {
      std::uint32_t* at = reinterpret_cast<std::uint32_t*>(__builtin_assume_aligned(xs, 4));
      const std::int32_t row_bytes = p.in_w * p.in_c;
      for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
        if (w0.inside && w1.inside) {  // both windows' rows straight from the input
          const std::int8_t* r0 = w0.base + ky * row_bytes;
          const std::int8_t* r1 = w1.base + ky * row_bytes;
          for (std::int32_t o = 0; o < row_len; o += 4, at += 4) {
            const std::uint32_t a = dsp::load_word(r0 + o), b = dsp::load_word(r1 + o);
            at[0] = dsp::sxtb16(a);
            at[1] = dsp::sxtb16(b);
            at[2] = dsp::sxtb16_ror8(a);
            at[3] = dsp::sxtb16_ror8(b);
          }
          continue;
        }
        for (std::int32_t o = 0; o < row_len; o += 4, at += 4) {
          const std::uint32_t a = quad_word(p, input, w0, ky, o),
                              b = quad_word(p, input, w1, ky, o);
          at[0] = dsp::sxtb16(a);
          at[1] = dsp::sxtb16(b);
          at[2] = dsp::sxtb16_ror8(a);
          at[3] = dsp::sxtb16_ror8(b);
        }
      }
#if defined(__ARM_FEATURE_DSP)
      quads_expanded_short(p, xs, expanded, w, bias, out0, out_c);
      continue;
#endif
    }
    for (std::int32_t oc = 0; oc < out_c; oc += 4, w += 16 * groups) {
      std::int32_t acc[8] = {bias[oc],     bias[oc],     bias[oc + 1], bias[oc + 1],
                             bias[oc + 2], bias[oc + 2], bias[oc + 3], bias[oc + 3]};
      quad_groups(groups, w, acc, [&](std::int32_t g) {
        if (expand) {
          const std::int8_t* at = xs + 16 * g;
          return GroupInputs{dsp::load_word(at), dsp::load_word(at + 4), dsp::load_word(at + 8),
                             dsp::load_word(at + 12)};
        }
        const std::int32_t ky = 4 * g / row_len, o = 4 * g - ky * row_len;
        const std::uint32_t a = quad_word(p, input, w0, ky, o), b = quad_word(p, input, w1, ky, o);
        return GroupInputs{dsp::sxtb16(a), dsp::sxtb16(b), dsp::sxtb16_ror8(a),
                           dsp::sxtb16_ror8(b)};
      });
      quad_store(p, oc, acc, out0, out1);
    }
  }
}

// One call with the output stage Stage.
template <typename Stage>
void run(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
         const std::int32_t* folded_bias, std::int8_t* output) {
  dsp::for_each_batch(p, input, output,
                      [&](const Conv2dS8Params& local, const std::int8_t* in, std::int8_t* out) {
                        if constexpr (dsp::kIsShortStage<Stage>) {
                          if (conv2d_s8_gemm_fast_takes_quads(local)) {
                            convolve_quads(local, in, weights, folded_bias, out);
                            return;
                          }
                        }
                        convolve<Stage>(local, in, weights, folded_bias, out);
                      });
}

}  // namespace
}  // namespace tinyscale::device
