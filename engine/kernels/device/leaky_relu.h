// leaky_relu_s8: TFLite LEAKY_RELU, x > 0 ? x : alpha·x, on int8, bit for bit tflite-micro's
// reference_ops::QuantizeLeakyRelu (tensorflow/lite/kernels/internal/reference/leaky_relu.h):
// (q - input zero point) times the identity multiplier (input_scale / output_scale) where it
// is >= 0, times the alpha multiplier (input_scale · alpha / output_scale) below, plus the
// output zero point, saturated to int8. The host kernel (engine/kernels/leaky_relu.cpp)
// derives the multipliers as micro/kernels/leaky_relu_common.cc.
//
// Usage (firmware):
//   static const tinyscale::device::LeakyReluS8Params lrelu_params = {640, 4, -10,
//       1073741824, 1, 1717986918, -2};
//   tinyscale::device::leaky_relu_s8(lrelu_params, arena + 0, arena + 640, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct LeakyReluS8Params {
  std::int32_t size;  // elements
  std::int32_t input_zero_point, output_zero_point;
  std::int32_t identity_multiplier, identity_shift;  // input_scale / output_scale
  std::int32_t alpha_multiplier, alpha_shift;        // input_scale · alpha / output_scale
};

// Elementwise; `output` may alias `input`.
void leaky_relu_s8(const LeakyReluS8Params& p, const std::int8_t* input, std::int8_t* output,
                   std::int8_t* scratch);
// Scratch bytes leaky_relu_s8 needs: none.
std::int32_t leaky_relu_s8_scratch_bytes(const LeakyReluS8Params& p);

}  // namespace tinyscale::device
