#include "engine/kernels/device/conv2d_fast.h"

#include <cstring>

#include "engine/kernels/device/fixed_point.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

namespace tinyscale::device {
namespace {

// Two signed 16-bit lanes in a 32-bit word (lane 0 in bits 0..15).
#if defined(__ARM_FEATURE_DSP)

inline std::uint32_t sxtb16(std::uint32_t x) {
  return static_cast<std::uint32_t>(__sxtb16(static_cast<int8x4_t>(x)));
}
// Bytes 1 and 3 of x, sign-extended (SXTB16 x, ROR #8).
inline std::uint32_t sxtb16_ror8(std::uint32_t x) {
  std::uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
// Lane-wise a + sign-extended bytes 0 and 2 of x (SXTAB16).
inline std::uint32_t sxtab16(std::uint32_t a, std::uint32_t x) {
  return static_cast<std::uint32_t>(__sxtab16(static_cast<int16x2_t>(a), static_cast<int8x4_t>(x)));
}
inline std::uint32_t sxtab16_ror8(std::uint32_t a, std::uint32_t x) {
  std::uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
// acc + lane0(x) * lane0(y) + lane1(x) * lane1(y) (SMLAD).
inline std::int32_t smlad(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  return __smlad(static_cast<int16x2_t>(x), static_cast<int16x2_t>(y), acc);
}

#else

inline std::int32_t lane(std::uint32_t x, int i) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(x >> (16 * i)));
}
inline std::uint32_t pack(std::int32_t lo, std::int32_t hi) {
  return (static_cast<std::uint32_t>(lo) & 0xFFFFu) | (static_cast<std::uint32_t>(hi) << 16);
}
inline std::int32_t byte(std::uint32_t x, int i) {
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(x >> (8 * i)));
}
inline std::uint32_t sxtb16(std::uint32_t x) { return pack(byte(x, 0), byte(x, 2)); }
inline std::uint32_t sxtb16_ror8(std::uint32_t x) { return pack(byte(x, 1), byte(x, 3)); }
inline std::uint32_t sxtab16(std::uint32_t a, std::uint32_t x) {
  return pack(lane(a, 0) + byte(x, 0), lane(a, 1) + byte(x, 2));
}
inline std::uint32_t sxtab16_ror8(std::uint32_t a, std::uint32_t x) {
  return pack(lane(a, 0) + byte(x, 1), lane(a, 1) + byte(x, 3));
}
inline std::int32_t smlad(std::uint32_t x, std::uint32_t y, std::int32_t acc) {
  const std::uint32_t sum = static_cast<std::uint32_t>(acc) +
                            static_cast<std::uint32_t>(lane(x, 0) * lane(y, 0)) +
                            static_cast<std::uint32_t>(lane(x, 1) * lane(y, 1));
  return static_cast<std::int32_t>(sum);
}

#endif

inline std::uint32_t load_word(const std::int8_t* p) {
  std::uint32_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Offset of output pixel `px` (row-major over out_h x out_w) in the input, in values.
inline std::int32_t input_pixel(const Conv2dS8Params& p, std::int32_t px) {
  const std::int32_t oy = px / p.out_w;
  const std::int32_t ox = px - oy * p.out_w;
  return (oy * p.stride_h * p.in_w + ox * p.stride_w) * p.in_c;
}

// The output stage of one channel, prepared once for the pixels it serves: bias, and
// requantize_s8's multiply_by_quantized_multiplier split into its left shift, the
// doubling high multiply and the rounding right shift (its mask and threshold).
struct ChannelStage {
  std::int32_t bias, multiplier, left_shift, right_shift, mask, half_mask;
};

inline ChannelStage channel_stage(const Conv2dS8Params& p, const std::int32_t* bias,
                                  std::int32_t oc) {
  const std::int32_t c = p.requant_channels > 1 ? oc : 0;
  const std::int32_t shift = p.shifts[c];
  ChannelStage s;
  s.bias = bias ? bias[oc] : 0;
  s.multiplier = p.multipliers[c];
  s.left_shift = shift > 0 ? shift : 0;
  s.right_shift = shift > 0 ? 0 : -shift;
  s.mask = static_cast<std::int32_t>((std::int64_t{1} << s.right_shift) - 1);
  s.half_mask = s.mask >> 1;
  return s;
}

// Byte for byte requantize_s8 (fixed_point.h) and the output table. The doubling high
// multiply's nudge-then-truncate equals (a * b + 2^30) >> 31 rounded down for either sign
// of a * b: for a * b < 0, trunc((ab + 1 - 2^30) / 2^31) = floor((ab + 2^30) / 2^31).
inline std::int8_t finish(const Conv2dS8Params& p, const ChannelStage& s, std::int32_t acc) {
  acc = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                  static_cast<std::uint32_t>(s.bias));
  const auto x = static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) << s.left_shift);
  const std::int32_t high =
      (x == s.multiplier && x == kInt32Min)
          ? kInt32Max
          : static_cast<std::int32_t>(
                (static_cast<std::int64_t>(x) * s.multiplier + (std::int64_t{1} << 30)) >> 31);
  const std::int32_t threshold = s.half_mask + (high < 0 ? 1 : 0);
  const std::int32_t scaled = (high >> s.right_shift) + ((high & s.mask) > threshold ? 1 : 0);
  const auto q =
      static_cast<std::int8_t>(clamp_s32(scaled + p.output_offset, p.act_min, p.act_max));
  return conv2d_stored_value(p, q);
}

// One batch of the 1x1 GEMM: out[px][oc] = sum_ic (in[px][ic] + input_offset) * w[oc][ic].
void pointwise_gemm(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                    const std::int32_t* bias, std::int8_t* output) {
  const std::int32_t in_c = p.in_c;
  const std::int32_t out_c = p.out_c;
  const std::int32_t pixels = p.out_h * p.out_w;
  const std::int32_t in_c4 = in_c & ~3;
  const std::int32_t off = p.input_offset;
  const std::uint32_t off2 =
      (static_cast<std::uint32_t>(off) & 0xFFFFu) | (static_cast<std::uint32_t>(off) << 16);
  std::int32_t px = 0;
  for (; px + 1 < pixels; px += 2) {
    const std::int8_t* in0 = input + input_pixel(p, px);
    const std::int8_t* in1 = input + input_pixel(p, px + 1);
    std::int8_t* out0 = output + px * out_c;
    std::int8_t* out1 = out0 + out_c;
    std::int32_t oc = 0;
    for (; oc + 1 < out_c; oc += 2) {
      const std::int8_t* w0 = weights + oc * in_c;
      const std::int8_t* w1 = w0 + in_c;
      std::int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;  // a<channel><pixel>
      std::int32_t ic = 0;
      for (; ic < in_c4; ic += 4) {
        const std::uint32_t x0 = load_word(in0 + ic);
        const std::uint32_t x1 = load_word(in1 + ic);
        const std::uint32_t wa = load_word(w0 + ic);
        const std::uint32_t wb = load_word(w1 + ic);
        const std::uint32_t x0e = sxtab16(off2, x0), x0o = sxtab16_ror8(off2, x0);
        const std::uint32_t x1e = sxtab16(off2, x1), x1o = sxtab16_ror8(off2, x1);
        const std::uint32_t wae = sxtb16(wa), wao = sxtb16_ror8(wa);
        const std::uint32_t wbe = sxtb16(wb), wbo = sxtb16_ror8(wb);
        a00 = smlad(x0e, wae, a00);
        a00 = smlad(x0o, wao, a00);
        a01 = smlad(x1e, wae, a01);
        a01 = smlad(x1o, wao, a01);
        a10 = smlad(x0e, wbe, a10);
        a10 = smlad(x0o, wbo, a10);
        a11 = smlad(x1e, wbe, a11);
        a11 = smlad(x1o, wbo, a11);
      }
      for (; ic < in_c; ++ic) {
        const std::int32_t x0 = in0[ic] + off, x1 = in1[ic] + off;
        a00 += x0 * w0[ic];
        a01 += x1 * w0[ic];
        a10 += x0 * w1[ic];
        a11 += x1 * w1[ic];
      }
      const ChannelStage s0 = channel_stage(p, bias, oc), s1 = channel_stage(p, bias, oc + 1);
      out0[oc] = finish(p, s0, a00);
      out0[oc + 1] = finish(p, s1, a10);
      out1[oc] = finish(p, s0, a01);
      out1[oc + 1] = finish(p, s1, a11);
    }
    if (oc < out_c) {  // odd channel count: the last channel, two pixels
      const std::int8_t* w0 = weights + oc * in_c;
      std::int32_t a00 = 0, a01 = 0;
      std::int32_t ic = 0;
      for (; ic < in_c4; ic += 4) {
        const std::uint32_t x0 = load_word(in0 + ic);
        const std::uint32_t x1 = load_word(in1 + ic);
        const std::uint32_t wa = load_word(w0 + ic);
        const std::uint32_t wae = sxtb16(wa), wao = sxtb16_ror8(wa);
        a00 = smlad(sxtab16(off2, x0), wae, a00);
        a00 = smlad(sxtab16_ror8(off2, x0), wao, a00);
        a01 = smlad(sxtab16(off2, x1), wae, a01);
        a01 = smlad(sxtab16_ror8(off2, x1), wao, a01);
      }
      for (; ic < in_c; ++ic) {
        a00 += (in0[ic] + off) * w0[ic];
        a01 += (in1[ic] + off) * w0[ic];
      }
      const ChannelStage s0 = channel_stage(p, bias, oc);
      out0[oc] = finish(p, s0, a00);
      out1[oc] = finish(p, s0, a01);
    }
  }
  if (px < pixels) {  // odd pixel count: the last pixel, one channel at a time
    const std::int8_t* in0 = input + input_pixel(p, px);
    std::int8_t* out0 = output + px * out_c;
    for (std::int32_t oc = 0; oc < out_c; ++oc) {
      const std::int8_t* w0 = weights + oc * in_c;
      std::int32_t a00 = 0;
      std::int32_t ic = 0;
      for (; ic < in_c4; ic += 4) {
        const std::uint32_t x0 = load_word(in0 + ic);
        const std::uint32_t wa = load_word(w0 + ic);
        a00 = smlad(sxtab16(off2, x0), sxtb16(wa), a00);
        a00 = smlad(sxtab16_ror8(off2, x0), sxtb16_ror8(wa), a00);
      }
      for (; ic < in_c; ++ic) a00 += (in0[ic] + off) * w0[ic];
      out0[oc] = finish(p, channel_stage(p, bias, oc), a00);
    }
  }
}

}  // namespace

bool conv2d_s8_fast_applies(const Conv2dS8Params& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
         p.in_c_per_group == p.in_c && p.out_c_per_group == p.out_c && p.out_h > 0 && p.out_w > 0 &&
         p.stride_h > 0 && p.stride_w > 0 && (p.out_h - 1) * p.stride_h < p.in_h &&
         (p.out_w - 1) * p.stride_w < p.in_w &&
         // (x + input_offset) must fit a 16-bit lane: it does for every int8 zero point.
         p.input_offset >= -128 && p.input_offset <= 128;
}

void conv2d_s8_fast(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                    const std::int32_t* bias, std::int8_t* output, std::int8_t* scratch) {
  if (input == output || !conv2d_s8_fast_applies(p)) {
    conv2d_s8(p, input, weights, bias, output, scratch);
    return;
  }
  // A local copy: the int8 output stores may alias anything the caller's params point
  // into, so the compiler would reload every field after each store; a local it need not.
  const Conv2dS8Params local = p;
  const std::int32_t in_batch = local.in_h * local.in_w * local.in_c;
  const std::int32_t out_batch = local.out_h * local.out_w * local.out_c;
  for (std::int32_t b = 0; b < local.batches; ++b) {
    pointwise_gemm(local, input + b * in_batch, weights, bias, output + b * out_batch);
  }
}

std::int32_t conv2d_s8_fast_scratch_bytes(const Conv2dS8Params& p) {
  return conv2d_s8_scratch_bytes(p);
}

}  // namespace tinyscale::device
