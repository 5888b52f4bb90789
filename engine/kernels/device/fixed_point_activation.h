// What sigmoid_s8 (LOGISTIC) and tanh_s8 (TANH) share, bit for bit tflite-micro's
// reference_integer_ops::Logistic / Tanh (tensorflow/lite/kernels/internal/reference/
// integer_ops/{logistic,tanh}.h): (q - input zero point) rescaled into Q4.27 by an input
// multiplier and left shift, a gemmlowp fixed-point function of it, the Q0.31 result rounded
// back to int8; inputs at or beyond the input range radius saturate. The host kernels derive
// the parameters (engine/kernels/fixed_point_activation.h, prepare_fixed_point_activation).
//
// Usage (device/sigmoid.cpp):
//   out[i] = fixed_point_activation_s8(p, in[i], [](FixedPoint<4> x) {
//     return fixed_point_logistic(x); }, /*output_fraction_bits=*/8, /*output_offset=*/-128);
#pragma once

#include <cstdint>

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

inline constexpr int kFixedPointActivationInputBits = 4;

struct FixedPointActivationS8Params {
  std::int32_t size;  // elements
  std::int32_t input_zero_point;
  std::int32_t input_range_radius;                  // |q - zero point| at or above it saturates
  std::int32_t input_multiplier, input_left_shift;  // into Q4.27
};

template <typename Function>
std::int8_t fixed_point_activation_s8(const FixedPointActivationS8Params& p, std::int8_t q,
                                      Function function, int output_fraction_bits,
                                      std::int32_t output_offset) {
  const std::int32_t input = q - p.input_zero_point;
  if (input <= -p.input_range_radius) return -128;
  if (input >= p.input_range_radius) return 127;
  const std::int32_t input_in_q4 =
      multiply_by_quantized_multiplier(input, p.input_multiplier, p.input_left_shift);
  const std::int32_t output_in_q0 =
      function(FixedPoint<kFixedPointActivationInputBits>::from_raw(input_in_q4)).raw;
  const std::int32_t output = rounding_divide_by_pot(output_in_q0, 31 - output_fraction_bits);
  return static_cast<std::int8_t>(clamp_s32(output + output_offset, -128, 127));
}

}  // namespace tinyscale::device
