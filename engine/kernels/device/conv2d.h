// conv2d_s8: TFLite CONV_2D and DEPTHWISE_CONV_2D on int8 NHWC tensors, in one freestanding
// kernel (groups == 1, grouped, and depthwise = in_c_per_group == 1 with weight
// [out_c, kh, kw, 1]). Bit for bit tflite-micro's reference_integer_ops::ConvPerChannel /
// DepthwiseConvPerChannel (per-channel or per-tensor requantization).
//
// Layouts: input [batches, in_h, in_w, in_c], weights [out_c, kernel_h, kernel_w,
// in_c_per_group], bias [out_c] (int32, may be null), output [batches, out_h, out_w, out_c].
// Output channel oc reads input channels [(oc / out_c_per_group) * in_c_per_group,
// +in_c_per_group). Points of the window outside the input contribute nothing (implicit zero
// padding in real terms: TFLite's input_offset convention).
//
// In place: with output == input, a depthwise convolution whose output has the input's shape
// (in_c_per_group == out_c_per_group == 1, out_c == in_c, out_h == in_h, out_w == in_w, e.g.
// stride 1 and same padding) writes its output over its input, channel by channel through
// `scratch`, which must hold in_h × in_w bytes (the arena planner, engine/liveness.h,
// gives it: in_place_scratch_bytes). Byte for byte the values of the separate-buffer call.
//
// Fused activation: with output_table set, every output value q is stored as
// output_table[q + 128] (the table of the int8 activation that followed the convolution),
// in both paths.
//
// Usage (firmware; the code generator prints the params as a const initializer):
//   static const int32_t conv1_multipliers[8] = {...};
//   static const int8_t conv1_shifts[8] = {...};
//   static const tinyscale::device::Conv2dS8Params conv1_params = {1, 49, 10, 1, 25, 5, 8, ...,
//       conv1_multipliers, conv1_shifts, nullptr};
//   tinyscale::device::conv2d_s8(conv1_params, arena + 0, conv1_weights, conv1_bias,
//                                arena + 490, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct Conv2dS8Params {
  std::int32_t batches, in_h, in_w, in_c;
  std::int32_t out_h, out_w, out_c;
  std::int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  std::int32_t in_c_per_group, out_c_per_group;
  std::int32_t input_offset;        // -input zero point
  std::int32_t output_offset;       // output zero point
  std::int32_t act_min, act_max;    // fused activation range in output units
  std::int32_t requant_channels;    // out_c (per-channel weights) or 1 (per-tensor)
  const std::int32_t* multipliers;  // [requant_channels], Q0.31 in [2^30, 2^31)
  const std::int8_t* shifts;        // [requant_channels], power-of-two exponent
  // A fused element-wise activation (engine/activation_fusion.h), or null: each requantized
  // and clamped value q is stored as output_table[q + 128] (256 entries).
  const std::int8_t* output_table;
};

// The value a conv2d kernel stores for a requantized, clamped output q: q, or its fused
// activation's table entry.
inline std::int8_t conv2d_stored_value(const Conv2dS8Params& p, std::int8_t q) {
  return p.output_table ? p.output_table[q + 128] : q;
}

void conv2d_s8(const Conv2dS8Params& p, const std::int8_t* input, const std::int8_t* weights,
               const std::int32_t* bias, std::int8_t* output, std::int8_t* scratch);

// Scratch bytes conv2d_s8 needs for these params (the reference loop needs none).
std::int32_t conv2d_s8_scratch_bytes(const Conv2dS8Params& p);

}  // namespace tinyscale::device
