// slice_s8: TFLite SLICE of an int8 tensor: the block begin + [0, size) of the input
// (tflite-micro micro/kernels/slice.cc, rank <= 5), copied row by row (a row: the innermost
// axis' size[4] elements). Shapes are extended to rank 5 with leading 1s. The output carries
// the input's quantization (checked by the host kernel engine/kernels/slice.cpp).
//
// The copy is per byte, so the host's float32 kernel calls it too with element_bytes 4.
//
// Usage (firmware):
//   static const tinyscale::device::SliceS8Params bin0_params = {
//       {1, 1, 6, 6, 32}, {0, 0, 0, 0, 0}, {1, 1, 3, 3, 32}, 1};
//   tinyscale::device::slice_s8(bin0_params, arena + 0, arena + 1152, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

inline constexpr int kSliceMaxRank = 5;

struct SliceS8Params {
  std::int32_t in_dims[kSliceMaxRank];
  std::int32_t begin[kSliceMaxRank];
  std::int32_t size[kSliceMaxRank];
  std::int32_t element_bytes;  // 1 for int8
};

// Output [size...]; must not overlap the input.
void slice_s8(const SliceS8Params& p, const std::int8_t* input, std::int8_t* output,
              std::int8_t* scratch);
// Scratch bytes slice_s8 needs: none.
std::int32_t slice_s8_scratch_bytes(const SliceS8Params& p);

}  // namespace tinyscale::device
