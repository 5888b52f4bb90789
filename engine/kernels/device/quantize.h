// TFLite QUANTIZE to int8, two device kernels:
//   quantize_s8         int8 -> int8 requantization, bit for bit tflite-micro's
//                       reference_ops::Requantize (tensorflow/lite/kernels/internal/reference/
//                       requantize.h): (q - input zero point) × input_scale / output_scale by
//                       multiplier and shift, plus the output zero point, saturated.
//   quantize_f32_to_s8  float32 -> int8 (a model's float input, --float-io), as
//                       reference_ops::AffineQuantize (reference/quantize.h):
//                       round(x / output_scale) + zero point, float division, rounding half away
//                       from zero, saturated. Needs an FPU or soft-float, nothing else.
// The host kernel (engine/kernels/quantize.cpp) derives the parameters as
// micro/kernels/quantize_common.cc.
//
// Usage (firmware):
//   static const tinyscale::device::QuantizeF32ToS8Params in_params = {490, 0.0235f, -12};
//   tinyscale::device::quantize_f32_to_s8(in_params, features, arena + 0, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct QuantizeS8Params {
  std::int32_t size;  // elements
  std::int32_t input_zero_point, output_zero_point;
  std::int32_t multiplier, shift;  // input_scale / output_scale
};

struct QuantizeF32ToS8Params {
  std::int32_t size;  // elements
  float output_scale;
  std::int32_t output_zero_point;
};

// Elementwise; `output` may alias `input`.
void quantize_s8(const QuantizeS8Params& p, const std::int8_t* input, std::int8_t* output,
                 std::int8_t* scratch);
// Scratch bytes quantize_s8 needs: none.
std::int32_t quantize_s8_scratch_bytes(const QuantizeS8Params& p);
// Elementwise; `output` must not overlap `input`.
void quantize_f32_to_s8(const QuantizeF32ToS8Params& p, const float* input, std::int8_t* output,
                        std::int8_t* scratch);
// Scratch bytes quantize_f32_to_s8 needs: none.
std::int32_t quantize_f32_to_s8_scratch_bytes(const QuantizeF32ToS8Params& p);

}  // namespace tinyscale::device
