// clip_s8: clamp int8 values to [lower, upper]: TFLite RELU6 and RELU_N1_TO_1 (and any
// other bounds), bit for bit tflite-micro's Relu6Quantized (micro/kernels/activations.cc).
// Input and output share quantization; the host kernel (engine/kernels/clip.cpp) quantizes
// the real bounds with the input's scale and zero point (activations_common.cc Relu6Prepare).
//
// Usage (firmware):
//   static const tinyscale::device::ClipS8Params relu6_params = {4096, -128, 23};
//   tinyscale::device::clip_s8(relu6_params, arena + 0, arena + 4096, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct ClipS8Params {
  std::int32_t size;          // elements
  std::int32_t lower, upper;  // quantized bounds, in int8 range
};

// Elementwise; `output` may alias `input`.
void clip_s8(const ClipS8Params& p, const std::int8_t* input, std::int8_t* output,
             std::int8_t* scratch);
// Scratch bytes clip_s8 needs: none.
std::int32_t clip_s8_scratch_bytes(const ClipS8Params& p);

}  // namespace tinyscale::device
