// global_avg_pool_s8: TFLite MEAN over H and W with keep_dims on int8 NHWC
// ([N,H,W,C] -> [N,1,1,C]), freestanding. Bit for bit TFLite Micro's int8 MEAN
// (reference_ops::QuantizedMeanOrSum): out = multiply_by_quantized_multiplier(Σq -
// input_zp·H·W, multiplier, shift) + output_zp, clamped to int8, where (multiplier, shift)
// is input_scale / output_scale with the 1/(H·W) folded in at prepare time
// (engine/kernels/global_avg_pool.cpp fold_mean_divisor).
//
// Usage (firmware):
//   static const tinyscale::device::GlobalAvgPoolS8Params gap_params = {1, 6, 6, 64, -128, -128,
//                                                                      1908874354, -5};
//   tinyscale::device::global_avg_pool_s8(gap_params, arena + 0, arena + 2304, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct GlobalAvgPoolS8Params {
  std::int32_t batches, height, width, channels;
  std::int32_t input_zero_point, output_zero_point;
  std::int32_t multiplier;  // input_scale / output_scale / (height·width), folded as TFLite Micro
  std::int32_t shift;
};

void global_avg_pool_s8(const GlobalAvgPoolS8Params& p, const std::int8_t* input,
                        std::int8_t* output, std::int8_t* scratch);

// Scratch bytes global_avg_pool_s8 needs (none).
std::int32_t global_avg_pool_s8_scratch_bytes(const GlobalAvgPoolS8Params& p);

}  // namespace tinyscale::device
