// softmax_s8: TFLite SOFTMAX over the last axis on int8, freestanding. Bit for bit
// tflite-micro's reference_ops::Softmax<int8_t, int8_t>: differences to the row maximum,
// scaled by beta × input_scale into Q5.26 (input_beta_multiplier / left_shift), those below
// diff_min contribute nothing; exp is gemmlowp's exp_on_negative_values, the sum is Q12.19
// and its reciprocal comes from get_reciprocal. Output scale 1/256, zero point -128.
//
// Layouts: input and output [rows, depth].
//
// Usage (firmware):
//   static const tinyscale::device::SoftmaxS8Params softmax_params = {1, 12, 1717986944, 22,
//                                                                    -248};
//   tinyscale::device::softmax_s8(softmax_params, arena + 0, arena + 16, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct SoftmaxS8Params {
  std::int32_t rows, depth;
  std::int32_t input_beta_multiplier;  // beta × input scale in Q5.26, as multiplier ...
  std::int32_t input_beta_left_shift;  // ... and left shift (> 1: greater-than-one variant)
  std::int32_t diff_min;               // differences below this contribute exp = 0
};

void softmax_s8(const SoftmaxS8Params& p, const std::int8_t* input, std::int8_t* output,
                std::int8_t* scratch);

// Scratch bytes softmax_s8 needs (none).
std::int32_t softmax_s8_scratch_bytes(const SoftmaxS8Params& p);

}  // namespace tinyscale::device
