#include "engine/kernels/device/conv2d_gemm_fast.h"

#include <cstdint>

#include "engine/kernels/device/conv2d_fast.h"
#include "engine/kernels/device/conv2d_gemm_fast_impl.h"

namespace tinyscale::device {

bool conv2d_s8_gemm_fast_applies(const Conv2dS8Params& p) {
  return p.in_c_per_group == p.in_c && p.out_c_per_group == p.out_c && p.dilation_h == 1 &&
         p.dilation_w == 1 &&
         (p.kernel_h > 1 || p.kernel_w > 1 || p.pad_top > 0 || p.pad_left > 0) && p.kernel_h > 0 &&
         p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0 && p.in_c > 0 && p.out_h > 0 &&
         p.out_w > 0 && p.pad_top >= 0 && p.pad_left >= 0 &&
         // The padding value -input_offset is an int8 zero point (it must fit a 16-bit lane).
         p.input_offset >= -128 && p.input_offset <= 128;
}

void conv2d_s8_gemm_fast_any(const Conv2dS8Params& p, const std::int8_t* input,
                             const std::int8_t* weights, const std::int32_t* folded_bias,
                             std::int8_t* output, std::int8_t* /*scratch*/) {
  run<ChannelStage>(p, input, weights, folded_bias, output);
}

void conv2d_s8_gemm_fast_reorder_weights(const Conv2dS8Params& p, const std::int8_t* weights,
                                         std::int8_t* reordered) {
  if (conv2d_s8_gemm_fast_takes_quads(p)) {  // [out_c][K] as a 1x1 convolution of K channels
    Conv2dS8Params q = p;
    q.in_c = q.in_c_per_group = p.kernel_h * p.kernel_w * p.in_c;
    q.kernel_h = q.kernel_w = 1;
    conv2d_s8_fast_reorder_weights(q, weights, reordered);
    return;
  }
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

std::int32_t conv2d_s8_gemm_fast_scratch_bytes(const Conv2dS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
