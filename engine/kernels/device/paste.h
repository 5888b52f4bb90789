// paste_s8: an int8 block written into a tensor at begin (tinyscale's paste op, the inverse
// of slice_s8; rank <= 5): output = destination with output[begin + i] = block[i] for every
// index i of the block. Patch-based execution (engine/patch.h) assembles a layer's output
// from its patches with a chain of pastes over one buffer. Shapes are extended to rank 5
// with leading 1s; the block is copied row by row (a row: the innermost axis' size[4]
// elements). Block, destination and output carry the same quantization (checked by the host
// kernel engine/kernels/paste.cpp).
//
// `destination` may be the output itself (the arena plan runs paste in place: nothing to
// copy), another buffer of the output's shape (copied into the output first), or null (the
// block alone: the output outside the block is left as it is, for later pastes to fill).
// The copy is per byte, so the host's float32 kernel calls it too with element_bytes 4.
//
// Usage (firmware):
//   static const tinyscale::device::PasteS8Params patch1_params = {
//       {1, 1, 6, 6, 32}, {0, 0, 0, 3, 0}, {1, 1, 3, 3, 32}, 1};
//   tinyscale::device::paste_s8(patch1_params, arena + 0, arena + 1152, arena + 0, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

inline constexpr int kPasteMaxRank = 5;

struct PasteS8Params {
  std::int32_t out_dims[kPasteMaxRank];
  std::int32_t begin[kPasteMaxRank];
  std::int32_t size[kPasteMaxRank];  // the block's shape
  std::int32_t element_bytes;        // 1 for int8
};

// Output [out_dims...]; `destination` is null, the output, or a buffer of the output's size
// that does not overlap it; the block must not overlap the output.
void paste_s8(const PasteS8Params& p, const std::int8_t* destination, const std::int8_t* block,
              std::int8_t* output, std::int8_t* scratch);
// Scratch bytes paste_s8 needs: none.
std::int32_t paste_s8_scratch_bytes(const PasteS8Params& p);

}  // namespace tinyscale::device
