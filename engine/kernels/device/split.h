// split_s8: TFLite SPLIT of an int8 tensor into num_outputs equal parts along one axis
// (tflite-micro micro/kernels/split.cc): with the input viewed as [outer, num_outputs ×
// part], each outer step hands part bytes to every output in turn. Outputs carry the input's
// quantization (checked by the host kernel engine/kernels/split.cpp).
//
// The copy is per byte, so the host's float32 kernel calls it too with sizes in bytes.
//
// Usage (firmware):
//   static const tinyscale::device::SplitS8Params split1_params = {576, 2, 16};
//   int8_t* const split1_outputs[2] = {arena + 18432, arena + 27648};
//   tinyscale::device::split_s8(split1_params, arena + 0, split1_outputs, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct SplitS8Params {
  std::int32_t outer;  // product of the dimensions before the axis
  std::int32_t num_outputs;
  std::int32_t part_inner;  // bytes of one output per outer step
};

// `outputs` holds num_outputs pointers; none may overlap the input.
void split_s8(const SplitS8Params& p, const std::int8_t* input, std::int8_t* const* outputs,
              std::int8_t* scratch);
// Scratch bytes split_s8 needs: none.
std::int32_t split_s8_scratch_bytes(const SplitS8Params& p);

}  // namespace tinyscale::device
