// relu_s8: TFLite RELU on int8, bit for bit tflite-micro's ReluQuantized
// (micro/kernels/activations.cc): the input requantized to the output scale
// (input_scale / output_scale as multiplier and shift), plus the output zero point, clamped
// to [act_min, act_max] (act_min is the output zero point: real 0). The host kernel
// (engine/kernels/relu.cpp) derives the parameters as activations_common.cc
// CalculateReluOpData.
//
// Usage (firmware):
//   static const tinyscale::device::ReluS8Params relu1_params = {1024, -3, -128, 1518500250,
//                                                                -1, -128, 127};
//   tinyscale::device::relu_s8(relu1_params, arena + 0, arena + 1024, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct ReluS8Params {
  std::int32_t size;  // elements
  std::int32_t input_zero_point, output_zero_point;
  std::int32_t multiplier, shift;  // input_scale / output_scale
  std::int32_t act_min, act_max;
};

// Elementwise; `output` may alias `input`.
void relu_s8(const ReluS8Params& p, const std::int8_t* input, std::int8_t* output,
             std::int8_t* scratch);
// Scratch bytes relu_s8 needs: none.
std::int32_t relu_s8_scratch_bytes(const ReluS8Params& p);

}  // namespace tinyscale::device
