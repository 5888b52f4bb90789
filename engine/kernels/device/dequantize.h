// dequantize_s8: TFLite DEQUANTIZE of int8 to float32 (a model's float output, --float-io):
// scale × (q - zero point), as tensorflow/lite/kernels/internal/reference/dequantize.h. TFLite
// multiplies in double and rounds to float; with |q - zero point| <= 255 the double product
// of a float scale is exact, so one float multiplication rounds to the same float.
// Needs an FPU or soft-float, nothing else.
//
// Usage (firmware):
//   static const tinyscale::device::DequantizeS8Params out_params = {12, -128, 0.00390625f};
//   tinyscale::device::dequantize_s8(out_params, arena + 512, scores, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct DequantizeS8Params {
  std::int32_t size;  // elements
  std::int32_t zero_point;
  float scale;
};

// Elementwise; `output` must not overlap `input`.
void dequantize_s8(const DequantizeS8Params& p, const std::int8_t* input, float* output,
                   std::int8_t* scratch);
// Scratch bytes dequantize_s8 needs: none.
std::int32_t dequantize_s8_scratch_bytes(const DequantizeS8Params& p);

}  // namespace tinyscale::device
