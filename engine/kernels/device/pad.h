// pad_s8: TFLite PAD of H and W on an int8 NHWC tensor with a constant (the quantized pad
// value; the output zero point for real 0), as tflite-micro's micro/kernels/pad.cc with
// reference_ops::Pad (tensorflow/lite/kernels/internal/reference/pad.h). Input and output
// share quantization: a byte copy framed by pad_value.
//
// Usage (firmware):
//   static const tinyscale::device::PadS8Params pad1_params = {1, 48, 48, 8, 1, 1, 1, 1, -3};
//   tinyscale::device::pad_s8(pad1_params, arena + 0, arena + 18432, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct PadS8Params {
  std::int32_t batches, in_h, in_w, channels;
  std::int32_t pad_top, pad_bottom, pad_left, pad_right;
  std::int32_t pad_value;  // quantized, in int8 range
};

// Output [batches, in_h + pad_top + pad_bottom, in_w + pad_left + pad_right, channels];
// must not overlap the input.
void pad_s8(const PadS8Params& p, const std::int8_t* input, std::int8_t* output,
            std::int8_t* scratch);
// Scratch bytes pad_s8 needs: none.
std::int32_t pad_s8_scratch_bytes(const PadS8Params& p);

}  // namespace tinyscale::device
