// concat_s8: TFLite CONCATENATION of int8 tensors along one axis, a byte copy of every input
// (tflite-micro micro/kernels/concatenation.cc; inputs share the output's quantization, which
// the host kernel engine/kernels/concat.cpp checks). With the tensors viewed as [outer, inner]
// (outer = product of the dimensions before the axis), each outer step of the output is the
// inputs' rows one after another: input k contributes input_inner[k] bytes at offset
// input_inner[0] + ... + input_inner[k - 1].
//
// The copy is per byte, so the host's float32 kernel calls it too with sizes in bytes.
//
// Usage (firmware):
//   static const int32_t cat1_input_inner[2] = {16, 32};
//   static const tinyscale::device::ConcatS8Params cat1_params = {144, 2, 48, cat1_input_inner};
//   const int8_t* const cat1_inputs[2] = {arena + 0, arena + 2304};
//   tinyscale::device::concat_s8(cat1_params, cat1_inputs, arena + 6912, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct ConcatS8Params {
  std::int32_t outer;  // product of the dimensions before the axis
  std::int32_t num_inputs;
  std::int32_t output_inner;        // bytes of the output per outer step (sum of input_inner)
  const std::int32_t* input_inner;  // [num_inputs] bytes of each input per outer step
};

// `inputs` holds num_inputs pointers; none may overlap the output.
void concat_s8(const ConcatS8Params& p, const std::int8_t* const* inputs, std::int8_t* output,
               std::int8_t* scratch);
// Scratch bytes concat_s8 needs: none.
std::int32_t concat_s8_scratch_bytes(const ConcatS8Params& p);

}  // namespace tinyscale::device
