// sigmoid_s8: TFLite LOGISTIC on int8, bit for bit tflite-micro's
// reference_integer_ops::Logistic (tensorflow/lite/kernels/internal/reference/integer_ops/
// logistic.h): (q - zp) rescaled into Q4.27, gemmlowp's fixed-point logistic, rounded to
// Q0.8 with output zero point -128 (the output is always scale 1/256, zero point -128);
// inputs beyond the input range radius saturate. Parameters from the host kernel
// (engine/kernels/sigmoid.cpp, as micro/kernels/logistic_common.cc).
//
// Usage (firmware):
//   static const tinyscale::device::SigmoidS8Params gate_params = {64, -3, 3402, 2013265920, 2};
//   tinyscale::device::sigmoid_s8(gate_params, arena + 0, arena + 64, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/fixed_point_activation.h"

namespace tinyscale::device {

using SigmoidS8Params = FixedPointActivationS8Params;

// Elementwise; `output` may alias `input`.
void sigmoid_s8(const SigmoidS8Params& p, const std::int8_t* input, std::int8_t* output,
                std::int8_t* scratch);
// Scratch bytes sigmoid_s8 needs: none.
std::int32_t sigmoid_s8_scratch_bytes(const SigmoidS8Params& p);

}  // namespace tinyscale::device
