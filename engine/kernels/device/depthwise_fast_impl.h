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
using dsp::pack_high_halves;
using dsp::pack_low_halves;
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

// Interior output positions [begin, end) along one axis: the window lies inside the input.
inline void interior_range(std::int32_t pad, std::int32_t stride, std::int32_t kernel,
                           std::int32_t in, std::int32_t out, std::int32_t& begin,
                           std::int32_t& end) {
  begin = (pad + stride - 1) / stride;
  const std::int32_t last = in - kernel + pad;  // the last window origin + pad inside
  end = last < 0 ? 0 : last / stride + 1;
  if (end > out) end = out;
  if (begin > end) begin = end;
}

#if defined(__ARM_FEATURE_DSP)
// 3x3, 4 channels, the short output stage: `count` pixels in assembly (dw3x3_short). GCC keeps
// neither the 4 accumulators, the packed taps and the weights nor the pointers in registers
// (187 instructions per pixel of 4 channels, about 60 of them spills); here 127: 9 LDR and 7
// address instructions, per tap pair PKHBT + PKHTB, 4 SXTB16 and 4 SMLAD against weights
// already 16-bit in the frame (2 LDRD), the last tap by SMLABB/SMLATT, then the stage of
// quad_expanded_short (conv2d_fast_impl.h: SMMULR of 2x, the rounding shift as
// ((S >> (rs-1)) + 2 offset + 1) >> 1 inside SSAT, the output table) with each channel's
// multiplier and rs - 1 from one LDRD. Tap (ky, kx) of a pixel is at base + ky rb + kx rc: the
// input (rc = in_c, rb = row bytes) or, for a pixel whose window leaves the input, 9 words
// gathered on the stack with the input zero point outside (rc = 4, rb = 12).
struct DwFrame {
  const std::int8_t* base;   // [0] the first pixel's window, advanced by step
  std::int32_t rc;           // [4]
  std::int32_t rb;           // [8]
  std::int32_t step;         // [12]
  std::int8_t* out;          // [16] advanced by out_step
  std::int32_t out_step;     // [20]
  std::int32_t count;        // [24] pixels left
  std::int32_t offset2;      // [28] 2 x output offset + 1
  const std::int8_t* table;  // [32] output table + 128
  std::int32_t bias[4];      // [36]
  std::int32_t mr[8];        // [52] per channel: multiplier, rs - 1
  std::uint32_t
      w16[18];          // [84] per tap pair: channel 0..3's (w_t, w_t+1); tap 8: (w0, w2), (w1, w3)
  std::int32_t acc[4];  // [156] on overflow: the pixel's accumulators, bias included
};
// clang-format off
// Taps xa (r3) and xb (r12) of tap pair k: lo = [c0 c1 | c0' c1'] in lr, hi = [c2 c3 | c2' c3']
// in r3; weights in r8-r11.
#define TS_DW_PAIR(k)                                   \
  "pkhbt lr, r3, r12, lsl #16\n\t"                      \
  "pkhtb r3, r12, r3, asr #16\n\t"                      \
  "ldrd r8, r9, [r2, #84 + 16 * " #k "]\n\t"            \
  "ldrd r10, r11, [r2, #92 + 16 * " #k "]\n\t"          \
  "sxtb16 r12, lr\n\t"                                  \
  "smlad r4, r12, r8, r4\n\t"                           \
  "sxtb16 lr, lr, ror #8\n\t"                           \
  "smlad r5, lr, r9, r5\n\t"                            \
  "sxtb16 r12, r3\n\t"                                  \
  "smlad r6, r12, r10, r6\n\t"                          \
  "sxtb16 r3, r3, ror #8\n\t"                           \
  "smlad r7, r3, r11, r7\n\t"
// Channel k's output (accumulator acc): multiplier r8, rs - 1 r9; offset r10, table r11, out r12.
#define TS_DW_OUT(acc, k)                               \
  "ldrd r8, r9, [r2, #52 + 8 * " #k "]\n\t"             \
  "adds " acc ", " acc ", " acc "\n\t"                  \
  "bvs 8f\n\t"                                          \
  "smmulr " acc ", " acc ", r8\n\t"                     \
  "add " acc ", " acc ", " acc ", asr #31\n\t"          \
  "asr " acc ", " acc ", r9\n\t"                        \
  "add " acc ", " acc ", r10\n\t"                       \
  "ssat " acc ", #8, " acc ", asr #1\n\t"               \
  "ldrsb " acc ", [r11, " acc "]\n\t"                   \
  "strb " acc ", [r12, #" #k "]\n\t"
// clang-format on
// AAPCS: r0 the frame (r2 from here on); returns 0 when count pixels are done, 1 where a
// pixel's accumulator reached 2^30 (the doubling overflows): its accumulators are in acc,
// base, out and count at that pixel, for the caller to finish it in C++. r4-r11, lr saved.
// static: this header is included by both entry points' files (a naked function cannot be inline).
static __attribute__((naked, noinline)) std::int32_t dw3x3_short(DwFrame* /*f*/) {
  // clang-format off
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "mov r2, r0\n\t"
      "ldrd r0, r1, [r2]\n"             // base, rc
      "1:\n\t"
      "ldrd r4, r5, [r2, #36]\n\t"      // bias
      "ldrd r6, r7, [r2, #44]\n\t"
      "ldr r3, [r0]\n\t"                // taps 0, 1
      "ldr r12, [r0, r1]\n\t"
      TS_DW_PAIR(0)
      "ldr r3, [r0, r1, lsl #1]\n\t"    // taps 2, 3
      "ldr lr, [r2, #8]\n\t"
      "ldr r12, [r0, lr]\n\t"
      TS_DW_PAIR(1)
      "ldr lr, [r2, #8]\n\t"            // taps 4, 5
      "add lr, r0, lr\n\t"
      "ldr r3, [lr, r1]\n\t"
      "ldr r12, [lr, r1, lsl #1]\n\t"
      TS_DW_PAIR(2)
      "ldr lr, [r2, #8]\n\t"            // taps 6, 7
      "add lr, r0, lr, lsl #1\n\t"
      "ldr r3, [lr]\n\t"
      "ldr r12, [lr, r1]\n\t"
      TS_DW_PAIR(3)
      "ldr lr, [r2, #8]\n\t"            // tap 8
      "add lr, r0, lr, lsl #1\n\t"
      "ldr r3, [lr, r1, lsl #1]\n\t"
      "ldrd r8, r9, [r2, #148]\n\t"
      "sxtb16 r12, r3\n\t"
      "sxtb16 r3, r3, ror #8\n\t"
      "smlabb r4, r12, r8, r4\n\t"
      "smlatt r6, r12, r8, r6\n\t"
      "smlabb r5, r3, r9, r5\n\t"
      "smlatt r7, r3, r9, r7\n\t"
      "add lr, r2, #156\n\t"            // for the overflow path
      "stm lr, {r4-r7}\n\t"
      "ldrd r10, r11, [r2, #28]\n\t"    // offset2, table
      "ldr r12, [r2, #16]\n\t"          // out
      TS_DW_OUT("r4", 0) TS_DW_OUT("r5", 1) TS_DW_OUT("r6", 2) TS_DW_OUT("r7", 3)
      "ldr r3, [r2, #20]\n\t"
      "add r12, r3\n\t"
      "str r12, [r2, #16]\n\t"
      "ldr r3, [r2, #12]\n\t"
      "add r0, r3\n\t"
      "ldr r3, [r2, #24]\n\t"
      "subs r3, #1\n\t"
      "str r3, [r2, #24]\n\t"
      "bne 1b\n\t"
      "str r0, [r2]\n\t"
      "movs r0, #0\n\t"
      "pop {r4-r11, pc}\n"
      "8:\n\t"
      "str r0, [r2]\n\t"
      "movs r0, #1\n\t"
      "pop {r4-r11, pc}\n\t");
  // clang-format on
}
#undef TS_DW_PAIR
#undef TS_DW_OUT

// Runs the frame's count pixels, finishing a pixel whose accumulator overflowed the doubling
// with the C++ stage (the accumulators hold the bias: requantize_short without it). c0: the
// group's first channel.
[[gnu::noinline]] inline void dw3x3_short_run(DwFrame& f, const Conv2dS8Params& p,
                                              std::int32_t c0) {
  while (f.count > 0 && dw3x3_short(&f) != 0) {
    for (int k = 0; k < 4; ++k) {
      f.out[k] = dsp::requantize_short(dsp::short_stage(p, nullptr, c0 + k), f.acc[k]);
    }
    f.base += f.step;
    f.out += f.out_step;
    --f.count;
  }
}

// For a 3x3 window moved by (dy, dx) in -1..1 (kMovedTaps.v[dy + 1][dx + 1]): the original
// tap each tap of the moved window carries (9: none, the weight 0), and the original taps
// that fall outside it.
struct MovedTaps {
  std::int8_t source[9];
  std::int8_t outside[5];
  std::int8_t outside_count;
};
struct MovedTapsTable {
  MovedTaps v[3][3];
  constexpr MovedTapsTable() : v{} {
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        MovedTaps& m = v[dy + 1][dx + 1];
        for (int t = 0; t < 9; ++t) {
          const int ky = t / 3 + dy, kx = t % 3 + dx;
          m.source[t] =
              static_cast<std::int8_t>(ky >= 0 && ky < 3 && kx >= 0 && kx < 3 ? 3 * ky + kx : 9);
          const int my = t / 3 - dy, mx = t % 3 - dx;
          if (!(my >= 0 && my < 3 && mx >= 0 && mx < 3)) {
            m.outside[m.outside_count++] = static_cast<std::int8_t>(t);
          }
        }
      }
    }
  }
};
inline constexpr MovedTapsTable kMovedTaps{};

// Whether depthwise_group_3x3_short takes the call: every window leaves the input by at most
// one row and one column on each side, and the input has at least 3 rows and columns (so a
// window moved back inside by one stays inside).
inline bool shifted_windows_apply(const Conv2dS8Params& p) {
  if (p.in_h < 3 || p.in_w < 3 || p.pad_top > 1 || p.pad_left > 1) return false;
  const std::int32_t bottom = (p.out_h - 1) * p.stride_h - p.pad_top + 3 - p.in_h;
  const std::int32_t right = (p.out_w - 1) * p.stride_w - p.pad_left + 3 - p.in_w;
  return bottom <= 1 && right <= 1;
}

// One group of 4 channels with a 3x3 kernel and the short stage over every output pixel, all
// in dw3x3_short runs straight from the input. A pixel whose window leaves the input by a row
// or column (dy, dx = +1 at the top or left, -1 at the bottom or right) runs with its window
// moved back inside and the weights moved with it: the tap that reads the row or column the
// window gained weighs 0, and the taps that fell outside add w x z to the bias (z the input
// zero point: what they add through the folded bias's input offset, as the reference's
// skipped taps add nothing). So per group 9 weight sets at most, each for one run: the
// interior rows, the left and right columns (vertical runs), the top and bottom rows.
[[gnu::noinline]] inline void depthwise_group_3x3_short(const Conv2dS8Params& p,
                                                        const std::int8_t* input,
                                                        const std::int8_t* weights,
                                                        const std::int32_t* bias,
                                                        std::int8_t* output, std::int32_t c0) {
  const std::int8_t* w = weights + c0 * 9;
  std::int32_t ox_begin, ox_end, oy_begin, oy_end;
  interior_range(p.pad_left, p.stride_w, 3, p.in_w, p.out_w, ox_begin, ox_end);
  interior_range(p.pad_top, p.stride_h, 3, p.in_h, p.out_h, oy_begin, oy_end);
  // The group's weights per tap as a word of its 4 channels' bytes, from the reordered layout
  // (depthwise_fast.h: per tap pair and channel pair [c t, c' t, c t', c' t']).
  std::uint32_t wt[10];  // wt[9] = 0: the weight of a tap the moved window gained
  wt[9] = 0;
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t a = load_weights(w + 8 * i), b = load_weights(w + 8 * i + 4);
    // a = [c0 t, c1 t, c0 t', c1 t'], b likewise for c2, c3.
    wt[2 * i] = pack_low_halves(a, b);
    wt[2 * i + 1] = pack_high_halves(a, b);
  }
  wt[8] = load_weights(w + 32);
  const std::int32_t z = -p.input_offset;

  DwFrame f;
  const std::int32_t rb = p.in_w * p.in_c;
  f.rc = p.in_c;
  f.rb = rb;
  f.offset2 = 2 * p.output_offset + 1;
  f.table = (p.output_table ? p.output_table : dsp::kIdentity.v) + 128;
  for (int k = 0; k < 4; ++k) {
    const std::int32_t c = p.requant_channels > 1 ? c0 + k : 0;
    f.mr[2 * k] = p.multipliers[c];
    f.mr[2 * k + 1] = ~static_cast<std::int32_t>(p.shifts[c]);
  }
  // The weights for a window moved by (dy, dx) rows and columns: tap (ky, kx) lands on
  // (ky - dy, kx - dx), or outside (its channels' sums times z join the bias).
  auto set_weights = [&](std::int32_t dy, std::int32_t dx) {
    const MovedTaps& m = kMovedTaps.v[dy + 1][dx + 1];
    std::uint32_t moved[9];
    for (int t = 0; t < 9; ++t) moved[t] = wt[m.source[t]];
    std::uint32_t even = 0, odd = 0;  // channels (0, 2) and (1, 3) of the taps left outside
    for (int i = 0; i < m.outside_count; ++i) {
      even = dsp::sxtab16(even, wt[m.outside[i]]);
      odd = dsp::sxtab16_ror8(odd, wt[m.outside[i]]);
    }
    for (int i = 0; i < 4; ++i) {
      const std::uint32_t lo = pack_low_halves(moved[2 * i], moved[2 * i + 1]);
      const std::uint32_t hi = pack_high_halves(moved[2 * i], moved[2 * i + 1]);
      f.w16[4 * i] = sxtb16(lo);
      f.w16[4 * i + 1] = sxtb16_ror8(lo);
      f.w16[4 * i + 2] = sxtb16(hi);
      f.w16[4 * i + 3] = sxtb16_ror8(hi);
    }
    f.w16[16] = sxtb16(moved[8]);
    f.w16[17] = sxtb16_ror8(moved[8]);
    auto low = [](std::uint32_t v) {
      return static_cast<std::int32_t>(static_cast<std::int16_t>(static_cast<std::uint16_t>(v)));
    };
    auto high = [](std::uint32_t v) { return static_cast<std::int32_t>(v) >> 16; };
    const std::int32_t sums[4] = {low(even), low(odd), high(even), high(odd)};
    for (int k = 0; k < 4; ++k) {
      f.bias[k] = static_cast<std::int32_t>(static_cast<std::uint32_t>(bias[c0 + k]) +
                                            static_cast<std::uint32_t>(sums[k] * z));
    }
  };
  const std::int8_t* group_input = input + c0;
  const std::int32_t out_row_bytes = p.out_w * p.out_c;
  // The window of output pixel (oy, ox) moved by (dy, dx).
  auto window = [&](std::int32_t oy, std::int32_t ox, std::int32_t dy, std::int32_t dx) {
    const std::int32_t y = oy * p.stride_h - p.pad_top + dy, x = ox * p.stride_w - p.pad_left + dx;
    return group_input + y * rb + x * p.in_c;
  };
  auto run = [&](const std::int8_t* base, std::int8_t* out, std::int32_t count, std::int32_t step,
                 std::int32_t out_step) {
    if (count <= 0) return;
    f.base = base;
    f.out = out;
    f.count = count;
    f.step = step;
    f.out_step = out_step;
    dw3x3_short_run(f, p, c0);
  };
  // Rows: [0, oy_begin) leave at the top (dy = +1), [oy_end, out_h) at the bottom (dy = -1);
  // columns likewise (dx). At most one of each (shifted_windows_apply).
  struct Band {
    std::int32_t begin, end, shift;
  };
  const Band rows[3] = {{0, oy_begin, 1}, {oy_begin, oy_end, 0}, {oy_end, p.out_h, -1}};
  const Band cols[3] = {{0, ox_begin, 1}, {ox_begin, ox_end, 0}, {ox_end, p.out_w, -1}};
  for (const Band& r : rows) {
    if (r.end <= r.begin) continue;
    for (const Band& c : cols) {
      if (c.end <= c.begin) continue;
      set_weights(r.shift, c.shift);
      const std::int32_t width = c.end - c.begin, height = r.end - r.begin;
      if (width >= height) {  // runs along the rows
        for (std::int32_t oy = r.begin; oy < r.end; ++oy) {
          run(window(oy, c.begin, r.shift, c.shift),
              output + oy * out_row_bytes + c.begin * p.out_c + c0, width, p.stride_w * p.in_c,
              p.out_c);
        }
      } else {  // runs down the columns
        for (std::int32_t ox = c.begin; ox < c.end; ++ox) {
          run(window(r.begin, ox, r.shift, c.shift),
              output + r.begin * out_row_bytes + ox * p.out_c + c0, height, p.stride_h * rb,
              out_row_bytes);
        }
      }
    }
  }
}

#endif

// The looped taps' offsets: kDepthwiseFastMaxTaps of them, none where the taps are unrolled.
template <bool Unrolled>
struct TapOffsets {
  std::int32_t v[kDepthwiseFastMaxTaps];
};
template <>
struct TapOffsets<true> {
  const std::int32_t* v = nullptr;
};

// One channel group (W channels from c0) of one batch over every output pixel.
// Out of line: its locals (the stages, the geometry) then take stack once, not once per width
// inlined into depthwise_batch.
template <int W, bool Kernel3x3, typename Stage>
[[gnu::noinline]] void depthwise_group(const Conv2dS8Params& p, const std::int8_t* input,
                                       const std::int8_t* weights, const std::int32_t* bias,
                                       std::int8_t* output, std::int32_t c0) {
  // Each tap's input offset from the window's origin (the looped taps' table; a 3x3 kernel
  // unrolls them).
  TapOffsets<Kernel3x3> tap_offsets;
  if constexpr (!Kernel3x3) {
    std::int32_t t = 0;
    for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
      for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) {
        tap_offsets.v[t++] = (ky * p.in_w + kx) * p.in_c;
      }
    }
  }
  Stage stage[W];
  for (int j = 0; j < W; ++j) stage[j] = dsp::make_stage<Stage>(p, bias, c0 + j);
  const std::int32_t taps = p.kernel_h * p.kernel_w;
  const std::int8_t* w = weights + c0 * taps;
  const Geometry g = {p.in_h,     p.in_w,     p.in_c,     p.out_c,
                      p.kernel_h, p.kernel_w, p.stride_w, p.in_w * p.in_c};
  // Interior output columns [ox_begin, ox_end) and rows [oy_begin, oy_end): the window lies
  // inside the input.
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
                               taps, tap_offsets.v, w, stage, out_row + ox_begin * g.out_c,
                               g.out_c);
    for (std::int32_t ox = ox_end; ox < p.out_w; ++ox) edge(y0, row0, ox, out_row);
  }
}

template <bool Kernel3x3, typename Stage>
void depthwise_batch(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                     const std::int32_t* bias, std::int8_t* output) {
  for (std::int32_t c = 0; c < p.in_c;) {
    const std::int32_t width = group_width(c, p.in_c);
    if (width == 4) {
#if defined(__ARM_FEATURE_DSP)
      if constexpr (Kernel3x3 && dsp::kIsShortStage<Stage>) {
        if (shifted_windows_apply(p)) {
          depthwise_group_3x3_short(p, input, weights, bias, output, c);
          c += width;
          continue;
        }
      }
#endif
      depthwise_group<4, Kernel3x3, Stage>(p, input, weights, bias, output, c);
    } else if (width == 2) {
      depthwise_group<2, Kernel3x3, Stage>(p, input, weights, bias, output, c);
    } else {
      depthwise_group<1, false, Stage>(p, input, weights, bias, output, c);
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
  dsp::for_each_batch(p, input, output,
                      [&](const Conv2dS8Params& q, const std::int8_t* in, std::int8_t* out) {
                        if (kernel3x3) {
                          depthwise_batch<true, Stage>(q, in, weights, folded_bias, out);
                        } else {
                          depthwise_batch<false, Stage>(q, in, weights, folded_bias, out);
                        }
                      });
}

}  // namespace tinyscale::device::depthwise_fast_detail
