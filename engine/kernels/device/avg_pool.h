// avg_pool_s8: TFLite AVERAGE_POOL_2D on int8 NHWC tensors, freestanding. Bit for bit
// tflite-micro's reference_integer_ops::AveragePool: the average covers only the window cells
// inside the input, the integer average is rounded half away from zero, then clamped to the
// fused activation range. Input and output share quantization, so there is no rescaling.
//
// Usage (firmware):
//   static const tinyscale::device::AvgPoolS8Params pool_params = {
//       {1, 25, 5, 64, 1, 1, 25, 5, 25, 5, 0, 0}, -128, 127};
//   tinyscale::device::avg_pool_s8(pool_params, arena + 0, arena + 8000, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/pool_geometry.h"

namespace tinyscale::device {

struct AvgPoolS8Params {
  PoolGeometry geometry;
  std::int32_t act_min, act_max;  // fused activation range in output units
};

void avg_pool_s8(const AvgPoolS8Params& p, const std::int8_t* input, std::int8_t* output,
                 std::int8_t* scratch);

// sum / count rounded half away from zero (TFLite's "round to the closest"); count > 0.
inline std::int32_t rounded_average(std::int32_t sum, std::int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

// Scratch bytes avg_pool_s8 needs (none).
std::int32_t avg_pool_s8_scratch_bytes(const AvgPoolS8Params& p);

}  // namespace tinyscale::device
