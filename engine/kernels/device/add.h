// add_s8: TFLite ADD on int8 with NHWC broadcasting (rank <= 4) and the fused activation,
// freestanding. Bit for bit tflite-micro's reference_integer_ops::Add / BroadcastAdd4DSlow:
// both inputs (plus their offsets) are shifted left by 20 bits, rescaled to 2 × max(input
// scales) by input{1,2}_multiplier / _shift, summed, rescaled to the output by
// output_multiplier / _shift (all "smaller than one": shifts <= 0), + output offset, clamped.
//
// Usage (firmware):
//   static const tinyscale::device::AddS8Params add1_params = {
//       {{1, 4, 4, 8}, {128, 32, 8, 1}, {128, 32, 8, 1}},
//       128, 128, -128, 1073741824, 1073741824, 1431655765, 0, 0, -19, -128, 127};
//   tinyscale::device::add_s8(add1_params, arena + 0, arena + 128, arena + 256, nullptr);
#pragma once

#include <cstdint>

#include "engine/kernels/device/broadcast.h"
#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

inline constexpr std::int32_t kAddLeftShift = 20;

struct AddS8Params {
  Broadcast4d shape;
  std::int32_t input1_offset, input2_offset;  // -input zero points
  std::int32_t output_offset;                 // output zero point
  std::int32_t input1_multiplier, input2_multiplier, output_multiplier;
  std::int32_t input1_shift, input2_shift, output_shift;  // <= 0
  std::int32_t act_min, act_max;
};

// add_s8's value for one pair of inputs (add_s8_fast's path for params outside its bounds).
inline std::int8_t add_s8_value(const AddS8Params& p, std::int8_t a, std::int8_t b) {
  const std::int32_t shifted1 = (p.input1_offset + a) * (1 << kAddLeftShift);
  const std::int32_t shifted2 = (p.input2_offset + b) * (1 << kAddLeftShift);
  const std::int32_t scaled1 = multiply_by_quantized_multiplier_smaller_than_one_exp(
      shifted1, p.input1_multiplier, p.input1_shift);
  const std::int32_t scaled2 = multiply_by_quantized_multiplier_smaller_than_one_exp(
      shifted2, p.input2_multiplier, p.input2_shift);
  const std::int32_t raw = multiply_by_quantized_multiplier_smaller_than_one_exp(
                               scaled1 + scaled2, p.output_multiplier, p.output_shift) +
                           p.output_offset;
  return static_cast<std::int8_t>(clamp_s32(raw, p.act_min, p.act_max));
}

// `output` may alias the input that has the output's shape (each element is read before it
// is written); the other input may broadcast.
void add_s8(const AddS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output, std::int8_t* scratch);

// Scratch bytes add_s8 needs (none).
std::int32_t add_s8_scratch_bytes(const AddS8Params& p);

}  // namespace tinyscale::device
