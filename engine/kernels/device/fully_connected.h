// fully_connected_s8: TFLite FULLY_CONNECTED on int8, freestanding. Bit for bit tflite-micro's
// reference_integer_ops::FullyConnected (per-tensor weights, any weight zero point) and
// FullyConnectedPerChannel (per-channel weights, zero points 0).
//
// Layouts: input [batches, in_features] (any leading dims flattened), weights
// [out_features, in_features], bias [out_features] (int32, may be null), output
// [batches, out_features].
//
// Usage (firmware):
//   static const int32_t fc1_multipliers[1] = {1306490491};
//   static const int8_t fc1_shifts[1] = {-8};
//   static const tinyscale::device::FullyConnectedS8Params fc1_params = {1, 64, 12, 1, 0, -20,
//       -128, 127, 1, fc1_multipliers, fc1_shifts};
//   tinyscale::device::fully_connected_s8(fc1_params, arena + 0, fc1_weights, fc1_bias,
//                                         arena + 64, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct FullyConnectedS8Params {
  std::int32_t batches, in_features, out_features;
  std::int32_t input_offset;   // -input zero point
  std::int32_t weight_offset;  // -weight zero point (per-tensor weights; 0 per-channel)
  std::int32_t output_offset;  // output zero point
  std::int32_t act_min, act_max;  // fused activation range in output units
  std::int32_t requant_channels;  // out_features (per-channel weights) or 1 (per-tensor)
  const std::int32_t* multipliers;  // [requant_channels]
  const std::int8_t* shifts;        // [requant_channels]
};

void fully_connected_s8(const FullyConnectedS8Params& p, const std::int8_t* input,
                        const std::int8_t* weights, const std::int32_t* bias, std::int8_t* output,
                        std::int8_t* scratch);

// Scratch bytes fully_connected_s8 needs (the reference loop needs none).
std::int32_t fully_connected_s8_scratch_bytes(const FullyConnectedS8Params& p);

}  // namespace tinyscale::device
