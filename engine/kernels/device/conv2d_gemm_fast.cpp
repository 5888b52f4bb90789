#include "engine/kernels/device/conv2d_gemm_fast.h"

#include <cstring>

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
template <int Pixels>
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
    const ChannelStage s0 = dsp::channel_stage(p, bias, oc);
    const ChannelStage s1 = dsp::channel_stage(p, bias, oc + 1);
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
    const ChannelStage s0 = dsp::channel_stage(p, bias, oc);
    out0[oc] = dsp::finish(p, s0, a00);
    if constexpr (Pixels == 2) out1[oc] = dsp::finish(p, s0, a01);
  }
}

void convolve(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
              const std::int32_t* bias, std::int8_t* output, std::int16_t* col0) {
  const std::int32_t k_len = p.kernel_h * p.kernel_w * p.in_c;
  std::int16_t* col1 = col0 + k_len;
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
    im2col(p, input, oy, ox, col0, pad);
    next();
    im2col(p, input, oy, ox, col1, pad);
    next();
    std::int8_t* out0 = output + px * out_c;
    gemm<2>(p, weights, bias, col0, col1, out0, out0 + out_c);
  }
  if (px < pixels) {
    im2col(p, input, oy, ox, col0, pad);
    gemm<1>(p, weights, bias, col0, nullptr, output + px * out_c, nullptr);
  }
}

}  // namespace

bool conv2d_s8_gemm_fast_applies(const Conv2dS8Params& p) {
  return p.in_c_per_group == p.in_c && p.out_c_per_group == p.out_c && p.dilation_h == 1 &&
         p.dilation_w == 1 &&
         (p.kernel_h > 1 || p.kernel_w > 1 || p.pad_top > 0 || p.pad_left > 0) && p.kernel_h > 0 &&
         p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0 && p.in_c > 0 && p.out_h > 0 &&
         p.out_w > 0 && p.pad_top >= 0 && p.pad_left >= 0 &&
         // The padding value -input_offset is an int8 zero point (it must fit a 16-bit lane).
         p.input_offset >= -128 && p.input_offset <= 128;
}

void conv2d_s8_gemm_fast(const Conv2dS8Params& p, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* folded_bias,
                         std::int8_t* output, std::int8_t* scratch) {
  // A local copy: the int8 output stores may alias anything the caller's params point
  // into, so the compiler would reload every field after each store; a local it need not.
  const Conv2dS8Params local = p;
  auto* columns = reinterpret_cast<std::int16_t*>(scratch);
  const std::int32_t in_batch = local.in_h * local.in_w * local.in_c;
  const std::int32_t out_batch = local.out_h * local.out_w * local.out_c;
  for (std::int32_t b = 0; b < local.batches; ++b) {
    convolve(local, input + b * in_batch, weights, folded_bias, output + b * out_batch, columns);
  }
}

void conv2d_s8_gemm_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* weights,
                                         std::int8_t* reordered) {
  const std::int32_t k_len = p.kernel_h * p.kernel_w * p.in_c;
  const std::int32_t k4 = k_len & ~3;
  const std::int32_t tail = k_len - k4;
  for (std::int32_t oc = 0; oc < p.out_c; oc += 2) {
    const std::int32_t channels = oc + 1 < p.out_c ? 2 : 1;
    const std::int8_t* in = weights + oc * k_len;
    std::int8_t* out = reordered + oc * k_len;
    for (std::int32_t g = 0; g < k4; g += 4) {
      for (std::int32_t c = 0; c < channels; ++c) {
        for (std::int32_t j = 0; j < 4; ++j) out[kGroupByte[j]] = in[c * k_len + g + j];
        out += 4;
      }
    }
    for (std::int32_t c = 0; c < channels; ++c) {
      for (std::int32_t i = 0; i < tail; ++i) *out++ = in[c * k_len + k4 + i];
    }
  }
}

std::int32_t conv2d_s8_gemm_fast_scratch_bytes(const Conv2dS8Params& p) {
  return 2 * p.kernel_h * p.kernel_w * p.in_c * static_cast<std::int32_t>(sizeof(std::int16_t));
}

}  // namespace tinyscale::device
