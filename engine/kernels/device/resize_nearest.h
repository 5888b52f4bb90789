// resize_nearest_s8: TFLite RESIZE_NEAREST_NEIGHBOR (align_corners = false,
// half_pixel_centers = false) of an int8 NHWC tensor by integer factors scale_h × scale_w:
// output pixel (y, x) copies input pixel (y / scale_h, x / scale_w). That is TFLite's
// min(floor(y × float(in_h / out_h)), in_h - 1) (reference/resize_nearest_neighbor.h
// GetNearestNeighbor) computed exactly; the host kernel (engine/kernels/resize_nearest.cpp)
// checks the two agree for every row and column of the node. Input and output share
// quantization.
//
// The copy is per pixel, so the host's float32 kernel calls it too with pixel_bytes = 4 × C.
//
// Usage (firmware):
//   static const tinyscale::device::ResizeNearestS8Params up1_params = {1, 10, 10, 2, 2, 32};
//   tinyscale::device::resize_nearest_s8(up1_params, arena + 0, arena + 3200, nullptr);
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct ResizeNearestS8Params {
  std::int32_t batches, in_h, in_w;
  std::int32_t scale_h, scale_w;  // output is [batches, in_h × scale_h, in_w × scale_w, C]
  std::int32_t pixel_bytes;       // channels (× element size)
};

// Must not overlap the input.
void resize_nearest_s8(const ResizeNearestS8Params& p, const std::int8_t* input,
                       std::int8_t* output, std::int8_t* scratch);
// Scratch bytes resize_nearest_s8 needs: none.
std::int32_t resize_nearest_s8_scratch_bytes(const ResizeNearestS8Params& p);

}  // namespace tinyscale::device
