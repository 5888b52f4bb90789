// reshape_s8: TFLite RESHAPE on int8, freestanding: the bytes are unchanged, only the shape
// differs, so this is a copy (a memmove: the planner may place the output over the input;
// nothing happens when they are the same address). A code generator may also skip the call
// when it planned the output at the input's offset.
//
// Usage (firmware):
//   static const tinyscale::device::ReshapeS8Params reshape_params = {64};
//   tinyscale::device::reshape_s8(reshape_params, arena + 0, arena + 64, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct ReshapeS8Params {
  std::int32_t bytes;  // element count (one byte each)
};

void reshape_s8(const ReshapeS8Params& p, const std::int8_t* input, std::int8_t* output,
                std::int8_t* scratch);

// Scratch bytes reshape_s8 needs (none).
std::int32_t reshape_s8_scratch_bytes(const ReshapeS8Params& p);

}  // namespace tinyscale::device
