// The device kernel resize_nearest_s8 called directly (no graph, no engine), against TFLite's
// float source index (reference/resize_nearest_neighbor.h GetNearestNeighbor, align_corners
// and half_pixel_centers false) written out here.
#include "engine/kernels/device/resize_nearest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tinyscale::device {
namespace {

int tflite_nearest_source(int out_index, int in_size, int out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  return std::min(static_cast<int>(std::floor(static_cast<float>(out_index) * scale)),
                  in_size - 1);
}

TEST(DeviceResizeNearestS8, TwoBytePixelsOfAThreeByFiveInputScaledThreeByTwo) {
  const ResizeNearestS8Params p = {/*batches*/ 1, /*in*/ 3, 5, /*scale*/ 3, 2, /*pixel_bytes*/ 2};
  std::vector<std::int8_t> input(3 * 5 * 2);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<std::int8_t>(i * 3 - 40);
  std::vector<std::int8_t> output(9 * 10 * 2, 0x5a);
  resize_nearest_s8(p, input.data(), output.data(), nullptr);
  for (int y = 0; y < 9; ++y) {
    for (int x = 0; x < 10; ++x) {
      const int iy = tflite_nearest_source(y, 3, 9), ix = tflite_nearest_source(x, 5, 10);
      for (int c = 0; c < 2; ++c) {
        ASSERT_EQ(output[static_cast<std::size_t>((y * 10 + x) * 2 + c)],
                  input[static_cast<std::size_t>((iy * 5 + ix) * 2 + c)])
            << "y " << y << " x " << x << " c " << c;
      }
    }
  }
  EXPECT_EQ(resize_nearest_s8_scratch_bytes(p), 0);
}

TEST(DeviceResizeNearestS8, ExactDivisionIsTfliteFloatIndexForCommonSizes) {
  // The kernel's out / scale against TFLite's float formula for inputs up to 512 and factors
  // up to 16 (the host kernel also checks every node it prepares).
  for (int in = 1; in <= 512; ++in) {
    for (int scale = 1; scale <= 16; ++scale) {
      for (int out = 0; out < in * scale; ++out) {
        ASSERT_EQ(out / scale, tflite_nearest_source(out, in, in * scale))
            << "in " << in << " scale " << scale << " out " << out;
      }
    }
  }
}

}  // namespace
}  // namespace tinyscale::device
