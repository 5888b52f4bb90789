// The window geometry shared by the pooling device kernels (avg_pool_s8, max_pool_s8): an
// NHWC pool's sizes, strides and leading padding. Freestanding (see README.md here); the host
// fills it in prepare_pool_geometry() (engine/kernels/pool_geometry.h).
//
// Usage: the first member of a pooling kernel's params,
//   const AvgPoolS8Params p = {{1, 25, 5, 64, 1, 1, 25, 5, 25, 5, 0, 0}, -128, 127};
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct PoolGeometry {
  std::int32_t batches, in_h, in_w, channels, out_h, out_w;
  std::int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
};

// Along one axis, the window of output position `o`: its first input position (`origin`, may
// be negative) and the kernel positions [begin, end) whose cells lie inside the input.
struct PoolSpan {
  std::int32_t origin, begin, end;
};
inline PoolSpan pool_span(std::int32_t o, std::int32_t stride, std::int32_t pad,
                          std::int32_t kernel, std::int32_t in) {
  const std::int32_t origin = o * stride - pad;
  return {origin, origin < 0 ? -origin : 0, kernel < in - origin ? kernel : in - origin};
}

}  // namespace tinyscale::device
