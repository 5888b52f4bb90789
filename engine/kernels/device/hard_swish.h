// hard_swish_s8: TFLite HARD_SWISH, x · relu6(x + 3) / 6, on int8, bit for bit tflite-micro's
// reference_ops::HardSwish<int8_t> (tensorflow/lite/kernels/internal/reference/hard_swish.h):
// 16-bit fixed point throughout, the input shifted to a "hires" scale (input_scale / 128), a
// Q0.15 output multiplier and a Q0.15 "reluish" multiplier mapping [-3, 3] onto [-1, 1], with
// TFLite's own mix of rounding and truncating high multiplies. The host kernel
// (engine/kernels/hard_swish.cpp) derives the multipliers as micro/kernels/hard_swish_common.cc.
//
// Usage (firmware):
//   static const tinyscale::device::HardSwishS8Params hs_params = {2304, -7, -60, 21845, -3,
//                                                                  17476, 2};
//   tinyscale::device::hard_swish_s8(hs_params, arena + 0, arena + 2304, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct HardSwishS8Params {
  std::int32_t size;  // elements
  std::int32_t input_zero_point, output_zero_point;
  std::int32_t output_multiplier_fixedpoint;   // Q0.15, in int16 range
  std::int32_t output_multiplier_exponent;     // <= 0
  std::int32_t reluish_multiplier_fixedpoint;  // Q0.15, in int16 range
  std::int32_t reluish_multiplier_exponent;    // <= 31
};

// Elementwise; `output` may alias `input`.
void hard_swish_s8(const HardSwishS8Params& p, const std::int8_t* input, std::int8_t* output,
                   std::int8_t* scratch);
// Scratch bytes hard_swish_s8 needs: none.
std::int32_t hard_swish_s8_scratch_bytes(const HardSwishS8Params& p);

}  // namespace tinyscale::device
