#include "engine/kernels/device/conv2d.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

// Depthwise in place (output == input, out shape == in shape, one input channel per output
// channel): channel c of each batch is copied into `column` (in_h × in_w values) before its
// outputs overwrite it; the other channels' bytes are neither read nor written meanwhile.
// Per output value: the same accumulation order, bias, requantization and clamp as below.
void depthwise_s8_in_place(const Conv2dS8Params& p, std::int8_t* data, const std::int8_t* weights,
                           const std::int32_t* bias, std::int8_t* column) {
  const bool per_channel = p.requant_channels > 1;
  const std::int32_t plane = p.in_h * p.in_w;
  for (std::int32_t b = 0; b < p.batches; ++b) {
    std::int8_t* batch = data + b * plane * p.in_c;
    for (std::int32_t c = 0; c < p.out_c; ++c) {
      for (std::int32_t i = 0; i < plane; ++i) column[i] = batch[i * p.in_c + c];
      const std::int8_t* w = weights + c * p.kernel_h * p.kernel_w;
      const std::int32_t r = per_channel ? c : 0;
      for (std::int32_t oy = 0; oy < p.out_h; ++oy) {
        const std::int32_t in_y_origin = oy * p.stride_h - p.pad_top;
        for (std::int32_t ox = 0; ox < p.out_w; ++ox) {
          const std::int32_t in_x_origin = ox * p.stride_w - p.pad_left;
          std::int32_t acc = 0;
          for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
            const std::int32_t iy = in_y_origin + p.dilation_h * ky;
            if (iy < 0 || iy >= p.in_h) continue;
            for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) {
              const std::int32_t ix = in_x_origin + p.dilation_w * kx;
              if (ix < 0 || ix >= p.in_w) continue;
              acc += (static_cast<std::int32_t>(column[iy * p.in_w + ix]) + p.input_offset) *
                     static_cast<std::int32_t>(w[ky * p.kernel_w + kx]);
            }
          }
          if (bias) acc = wrapping_add_s32(acc, bias[c]);
          const std::int8_t q = requantize_s8(acc, p.multipliers[r], p.shifts[r], p.output_offset,
                                              p.act_min, p.act_max);
          batch[(oy * p.out_w + ox) * p.out_c + c] = conv2d_stored_value(p, q);
        }
      }
    }
  }
}

}  // namespace

void conv2d_s8(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
               const std::int32_t* bias, std::int8_t* output, std::int8_t* scratch) {
  if (input == output) {
    depthwise_s8_in_place(p, output, weights, bias, scratch);
    return;
  }
  const bool per_channel = p.requant_channels > 1;
  std::int8_t* out = output;
  for (std::int32_t b = 0; b < p.batches; ++b) {
    const std::int8_t* batch_input = input + b * p.in_h * p.in_w * p.in_c;
    for (std::int32_t oy = 0; oy < p.out_h; ++oy) {
      const std::int32_t in_y_origin = oy * p.stride_h - p.pad_top;
      for (std::int32_t ox = 0; ox < p.out_w; ++ox) {
        const std::int32_t in_x_origin = ox * p.stride_w - p.pad_left;
        for (std::int32_t oc = 0; oc < p.out_c; ++oc) {
          const std::int32_t in_c_begin = (oc / p.out_c_per_group) * p.in_c_per_group;
          std::int32_t acc = 0;
          for (std::int32_t ky = 0; ky < p.kernel_h; ++ky) {
            const std::int32_t iy = in_y_origin + p.dilation_h * ky;
            if (iy < 0 || iy >= p.in_h) continue;
            for (std::int32_t kx = 0; kx < p.kernel_w; ++kx) {
              const std::int32_t ix = in_x_origin + p.dilation_w * kx;
              if (ix < 0 || ix >= p.in_w) continue;
              const std::int8_t* in_px = batch_input + (iy * p.in_w + ix) * p.in_c + in_c_begin;
              const std::int8_t* w_px =
                  weights + ((oc * p.kernel_h + ky) * p.kernel_w + kx) * p.in_c_per_group;
              for (std::int32_t ic = 0; ic < p.in_c_per_group; ++ic) {
                acc += (static_cast<std::int32_t>(in_px[ic]) + p.input_offset) *
                       static_cast<std::int32_t>(w_px[ic]);
              }
            }
          }
          if (bias) acc = wrapping_add_s32(acc, bias[oc]);
          const std::int32_t c = per_channel ? oc : 0;
          const std::int8_t q = requantize_s8(acc, p.multipliers[c], p.shifts[c], p.output_offset,
                                              p.act_min, p.act_max);
          *out++ = conv2d_stored_value(p, q);
        }
      }
    }
  }
}

std::int32_t conv2d_s8_scratch_bytes(const Conv2dS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
