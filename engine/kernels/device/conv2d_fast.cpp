#include "engine/kernels/device/conv2d_fast.h"

#include <cstdint>

#include "engine/kernels/device/conv2d_fast_impl.h"

namespace tinyscale::device {

bool conv2d_s8_fast_applies(const Conv2dS8Params& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
         p.in_c_per_group == p.in_c && p.out_c_per_group == p.out_c && p.out_h > 0 && p.out_w > 0 &&
         p.stride_h > 0 && p.stride_w > 0 && (p.out_h - 1) * p.stride_h < p.in_h &&
         (p.out_w - 1) * p.stride_w < p.in_w;
}

void conv2d_s8_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* weights,
                                    std::int8_t* reordered) {
  const std::int32_t in_c = p.in_c;
  const std::int32_t in_c4 = in_c & ~3;
  std::int8_t* out = reordered;
  const std::int32_t quads_end = quad_channels(p);
  // Quads: per group of 4 input channels (a0 b0 a2 b2) (c0 d0 c2 d2) (a1 b1 a3 b3)
  // (c1 d1 c3 d3), then the last in_c % 4 input channels as (a b c d).
  for (std::int32_t oc = 0; oc < quads_end; oc += 4) {
    const std::int8_t* rows[4];
    for (int c = 0; c < 4; ++c) rows[c] = weights + (oc + c) * in_c;
    for (std::int32_t ic = 0; ic < in_c4; ic += 4) {
      for (int half = 0; half < 2; ++half) {
        for (int k = 0; k < 2; ++k) {
          *out++ = rows[2 * k][ic + half];
          *out++ = rows[2 * k + 1][ic + half];
          *out++ = rows[2 * k][ic + half + 2];
          *out++ = rows[2 * k + 1][ic + half + 2];
        }
      }
    }
    for (std::int32_t ic = in_c4; ic < in_c; ++ic) {
      for (int c = 0; c < 4; ++c) *out++ = rows[c][ic];
    }
  }
  for (std::int32_t oc = quads_end; oc + 1 < p.out_c; oc += 2) {
    const std::int8_t* a = weights + oc * in_c;
    const std::int8_t* b = a + in_c;
    for (std::int32_t ic = 0; ic < in_c4; ic += 4) {
      for (std::int32_t k = 0; k < 4; ++k) *out++ = a[ic + k];
      for (std::int32_t k = 0; k < 4; ++k) *out++ = b[ic + k];
    }
    for (std::int32_t ic = in_c4; ic < in_c; ++ic) {
      *out++ = a[ic];
      *out++ = b[ic];
    }
  }
  if (p.out_c & 1) {
    const std::int8_t* a = weights + (p.out_c - 1) * in_c;
    for (std::int32_t ic = 0; ic < in_c; ++ic) *out++ = a[ic];
  }
}

void conv2d_s8_fold_bias(const Conv2dS8Params& p, const std::int8_t* weights,
                         const std::int32_t* bias, std::int32_t* folded) {
  const std::int32_t per_channel = p.kernel_h * p.kernel_w * p.in_c_per_group;
  for (std::int32_t oc = 0; oc < p.out_c; ++oc) {
    std::int32_t sum = 0;
    for (std::int32_t i = 0; i < per_channel; ++i) sum += weights[oc * per_channel + i];
    // Wrapping int32 arithmetic, as the reference accumulator's: the same value mod 2^32.
    folded[oc] = static_cast<std::int32_t>(static_cast<std::uint32_t>(bias ? bias[oc] : 0) +
                                           static_cast<std::uint32_t>(p.input_offset) *
                                               static_cast<std::uint32_t>(sum));
  }
}

void conv2d_s8_fast_any(const Conv2dS8Params& p, const std::int8_t* input,
                        const std::int8_t* weights, const std::int32_t* folded_bias,
                        std::int8_t* output, std::int8_t* /*scratch*/) {
  if (dsp::lean_output(p)) {  // decided once per call
    run<Stage::kLean>(p, input, weights, folded_bias, output);
  } else {
    run<Stage::kFull>(p, input, weights, folded_bias, output);
  }
}

bool conv2d_s8_fast_mul_applies(const Conv2dS8Params& p) {
  return conv2d_s8_fast_applies(p) && p.batches == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.out_h == p.in_h && p.out_w == p.in_w;
}

bool conv2d_s8_fast_mul_expansion_applies(const Conv2dS8Params& p) {
  if (p.in_c % 4 != 0 || p.out_c % 2 != 0 || p.out_c <= 0) return false;
  // Pair (px, px + 1) expands where (pixels - px - 2) * out_c - 3 >= 4 * in_c (at most 3
  // bytes lost to the word alignment).
  const std::int64_t pixels = std::int64_t{p.out_h} * p.out_w;
  const std::int64_t last = pixels - 2 - (4 * std::int64_t{p.in_c} + 3 + p.out_c - 1) / p.out_c;
  return 4 * (last + 1) >= 3 * pixels;
}

std::int32_t conv2d_s8_fast_scratch_bytes(const Conv2dS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
