#include "engine/kernels/device/depthwise_fast.h"

#include "engine/kernels/device/depthwise_fast_impl.h"

namespace tinyscale::device {

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
    const std::int32_t width = depthwise_fast_detail::group_width(c0, p.out_c);
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

void depthwise_s8_fast_any(const Conv2dS8Params& p, const std::int8_t* input,
                           const std::int8_t* weights, const std::int32_t* folded_bias,
                           std::int8_t* output, std::int8_t* /*scratch*/) {
  depthwise_fast_detail::run<dsp::ChannelStage>(p, input, weights, folded_bias, output);
}

std::int32_t depthwise_s8_fast_scratch_bytes(const Conv2dS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
