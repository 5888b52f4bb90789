#include "engine/kernels/device/conv2d_fast.h"

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

// Offset of output pixel `px` (row-major over out_h x out_w) in the input, in values.
inline std::int32_t input_pixel(const Conv2dS8Params& p, std::int32_t px) {
  const std::int32_t oy = px / p.out_w;
  const std::int32_t ox = px - oy * p.out_w;
  return (oy * p.stride_h * p.in_w + ox * p.stride_w) * p.in_c;
}

// One batch of the 1x1 GEMM: out[px][oc] = folded_bias[oc] + sum_ic in[px][ic] * w[oc][ic]
// (the input offset is in the folded bias).
void pointwise_gemm(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                    const std::int32_t* bias, std::int8_t* output) {
  const std::int32_t in_c = p.in_c;
  const std::int32_t out_c = p.out_c;
  const std::int32_t pixels = p.out_h * p.out_w;
  const std::int32_t in_c4 = in_c & ~3;
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
        const std::uint32_t x0e = sxtb16(x0), x0o = sxtb16_ror8(x0);
        const std::uint32_t x1e = sxtb16(x1), x1o = sxtb16_ror8(x1);
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
        const std::int32_t x0 = in0[ic], x1 = in1[ic];
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
        a00 = smlad(sxtb16(x0), wae, a00);
        a00 = smlad(sxtb16_ror8(x0), wao, a00);
        a01 = smlad(sxtb16(x1), wae, a01);
        a01 = smlad(sxtb16_ror8(x1), wao, a01);
      }
      for (; ic < in_c; ++ic) {
        a00 += (in0[ic]) * w0[ic];
        a01 += (in1[ic]) * w0[ic];
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
        a00 = smlad(sxtb16(x0), sxtb16(wa), a00);
        a00 = smlad(sxtb16_ror8(x0), sxtb16_ror8(wa), a00);
      }
      for (; ic < in_c; ++ic) a00 += (in0[ic]) * w0[ic];
      out0[oc] = finish(p, channel_stage(p, bias, oc), a00);
    }
  }
}

}  // namespace

bool conv2d_s8_fast_applies(const Conv2dS8Params& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
         p.in_c_per_group == p.in_c && p.out_c_per_group == p.out_c && p.out_h > 0 && p.out_w > 0 &&
         p.stride_h > 0 && p.stride_w > 0 && (p.out_h - 1) * p.stride_h < p.in_h &&
         (p.out_w - 1) * p.stride_w < p.in_w;
}

void conv2d_s8_fold_bias(const Conv2dS8Params& p, const std::int8_t* weights,
                         const std::int32_t* bias, std::int32_t* folded) {
  const std::int32_t per_channel = p.kernel_h * p.kernel_w * p.in_c_per_group;
  for (std::int32_t oc = 0; oc < p.out_c; ++oc) {
    std::int32_t sum = 0;
    for (std::int32_t i = 0; i < per_channel; ++i) sum += weights[oc * per_channel + i];
    // Wrapping int32 arithmetic, as the reference accumulator's: the same value mod 2^32.
    folded[oc] = static_cast<std::int32_t>(
        static_cast<std::uint32_t>(bias ? bias[oc] : 0) +
        static_cast<std::uint32_t>(p.input_offset) * static_cast<std::uint32_t>(sum));
  }
}

void conv2d_s8_fast(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
                    const std::int32_t* folded_bias, std::int8_t* output, std::int8_t* /*scratch*/) {
  // A local copy: the int8 output stores may alias anything the caller's params point
  // into, so the compiler would reload every field after each store; a local it need not.
  const Conv2dS8Params local = p;
  const std::int32_t in_batch = local.in_h * local.in_w * local.in_c;
  const std::int32_t out_batch = local.out_h * local.out_w * local.out_c;
  for (std::int32_t b = 0; b < local.batches; ++b) {
    pointwise_gemm(local, input + b * in_batch, weights, folded_bias, output + b * out_batch);
  }
}

std::int32_t conv2d_s8_fast_scratch_bytes(const Conv2dS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
