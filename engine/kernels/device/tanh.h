// tanh_s8: TFLite TANH on int8, bit for bit tflite-micro's reference_integer_ops::Tanh
// (tensorflow/lite/kernels/internal/reference/integer_ops/tanh.h): (q - zp) rescaled into
// Q4.27, gemmlowp's fixed-point tanh, rounded to Q0.7 (the output is always scale 1/128,
// zero point 0); inputs beyond the input range radius saturate. Parameters from the host
// kernel (engine/kernels/tanh.cpp, as micro/kernels/tanh.cc CalculateArithmeticOpData).
//
// Usage (firmware):
//   static const tinyscale::device::TanhS8Params t_params = {64, 0, 3402, 2013265920, 2};
//   tinyscale::device::tanh_s8(t_params, arena + 0, arena + 64, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/fixed_point_activation.h"

namespace tinyscale::device {

using TanhS8Params = FixedPointActivationS8Params;

// Elementwise; `output` may alias `input`.
void tanh_s8(const TanhS8Params& p, const std::int8_t* input, std::int8_t* output,
             std::int8_t* scratch);
// Scratch bytes tanh_s8 needs: none.
std::int32_t tanh_s8_scratch_bytes(const TanhS8Params& p);

}  // namespace tinyscale::device
