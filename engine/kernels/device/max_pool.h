// max_pool_s8: TFLite MAX_POOL_2D on an int8 NHWC tensor, bit for bit tflite-micro's
// reference_integer_ops::MaxPool (tensorflow/lite/kernels/internal/reference/integer_ops/
// pooling.h): the maximum over the window cells inside the input (padding never wins),
// clamped to the fused activation range. Input and output share quantization. The host
// kernel (engine/kernels/max_pool.cpp) validates the window geometry.
//
// Usage (firmware):
//   static const tinyscale::device::MaxPoolS8Params pool1_params = {
//       {1, 24, 24, 16, 12, 12, 2, 2, 2, 2, 0, 0}, -128, 127};
//   tinyscale::device::max_pool_s8(pool1_params, arena + 0, arena + 9216, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/pool_geometry.h"

namespace tinyscale::device {

struct MaxPoolS8Params {
  PoolGeometry geometry;
  std::int32_t act_min, act_max;  // fused activation range in output units
};

// Must not overlap the input.
void max_pool_s8(const MaxPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                 std::int8_t* scratch);
// Scratch bytes max_pool_s8 needs: none.
std::int32_t max_pool_s8_scratch_bytes(const MaxPoolS8Params& p);

}  // namespace tinyscale::device
