// What LOGISTIC and TANH share (tflite-micro's reference_integer_ops::Logistic / Tanh):
// (q - zero point) rescaled into Q4.27, a gemmlowp fixed-point function of it, the Q0.31
// result rounded back to int8; inputs beyond the input radius saturate.
//
// Usage (sigmoid.cpp):
//   prepare_fixed_point_activation(ctx, 1.0f / 256, -128, &data);
//   out[i] = fixed_point_activation_int8(data, in[i], [](auto x) { return fixed_point_logistic(x);
//   },
//                                        /*output_fraction_bits=*/8, /*output_offset=*/-128);
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {

inline constexpr int kFixedPointActivationInputBits = 4;

struct FixedPointActivationData {
  std::int64_t size;
  std::int32_t input_zero_point, input_range_radius, input_multiplier;
  int input_left_shift;
};

// Checks the node (one int8 input, same-shaped int8 output with the fixed output
// quantization the op requires) and derives the input rescaling.
Status prepare_fixed_point_activation(NodeContext& ctx, float output_scale,
                                      std::int32_t output_zero_point, FixedPointActivationData* d);

template <typename Function>
std::int8_t fixed_point_activation_int8(const FixedPointActivationData& p, std::int8_t q,
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
  return static_cast<std::int8_t>(std::clamp<std::int32_t>(output + output_offset, -128, 127));
}

}  // namespace tinyscale::engine
