// mul_s8: TFLite MUL on int8 with NHWC broadcasting (rank <= 4, e.g. the squeeze-excite gate
// [1,H,W,C] x [1,1,1,C]) and the fused activation, freestanding. Bit for bit tflite-micro's
// reference_integer_ops::Mul / BroadcastMul4DSlow: (a + input1_offset)(b + input2_offset)
// x output_multiplier·2^(output_shift - 31) + output offset, clamped.
//
// Usage (firmware):
//   static const tinyscale::device::MulS8Params se_mul_params = {
//       {{1, 6, 6, 32}, {1152, 192, 32, 1}, {0, 0, 0, 1}}, 128, 128, -128, 1246290968, -7,
//       -128, 127};
//   tinyscale::device::mul_s8(se_mul_params, arena + 0, arena + 1152, arena + 1184, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/broadcast.h"
#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

struct MulS8Params {
  Broadcast4d shape;
  std::int32_t input1_offset, input2_offset;  // -input zero points
  std::int32_t output_offset;                 // output zero point
  std::int32_t output_multiplier, output_shift;
  std::int32_t act_min, act_max;
};

// mul_s8's value of the product of two offset inputs ((a + input1_offset)(b +
// input2_offset)) under the output's requantization (the fast kernels' path for params
// outside their bounds).
inline std::int8_t mul_s8_value(std::int32_t product, std::int32_t multiplier, std::int32_t shift,
                                std::int32_t output_offset, std::int32_t act_min,
                                std::int32_t act_max) {
  const std::int32_t raw =
      output_offset + multiply_by_quantized_multiplier(product, multiplier, shift);
  return static_cast<std::int8_t>(clamp_s32(raw, act_min, act_max));
}
// The same from the params and the two int8 inputs (mul_s8's loop body).
inline std::int8_t mul_s8_value(const MulS8Params& p, std::int8_t a, std::int8_t b) {
  const std::int32_t product = (p.input1_offset + a) * (p.input2_offset + b);
  const std::int32_t raw = p.output_offset + multiply_by_quantized_multiplier(
                                                 product, p.output_multiplier, p.output_shift);
  return static_cast<std::int8_t>(clamp_s32(raw, p.act_min, p.act_max));
}

// `output` may alias the input that has the output's shape (each element is read before it
// is written); the other input may broadcast.
void mul_s8(const MulS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output, std::int8_t* scratch);

// Scratch bytes mul_s8 needs (none).
std::int32_t mul_s8_scratch_bytes(const MulS8Params& p);

}  // namespace tinyscale::device
