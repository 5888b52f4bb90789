// Numpy-style broadcasting of two NHWC tensors (rank <= 4) for the binary elementwise device
// kernels (add_s8, mul_s8), freestanding: both inputs and the output extended to rank 4, and
// a stride of 0 repeats a broadcast axis. The host fills it from the shapes
// (engine/kernels/broadcast.h make_broadcast).
//
// Usage (the first member of a binary kernel's params; [1,4,4,8] + [1,1,1,8]):
//   const Broadcast4d s = {{1, 4, 4, 8}, {128, 32, 8, 1}, {0, 0, 0, 1}};
//   broadcast_binary(s, a, b, out, [&](int8_t x, int8_t y) { return ...; });
#pragma once

#include <cstdint>

namespace tinyscale::device {

struct Broadcast4d {
  std::int32_t dims[4];  // output dims
  std::int32_t stride_a[4], stride_b[4];  // element strides of each input, 0 = repeated
};

// out[i] = op(a[...], b[...]) over the output in row-major order.
template <typename In, typename Out, typename Op>
void broadcast_binary(const Broadcast4d& s, const In* a, const In* b, Out* out, Op&& op) {
  for (std::int32_t d0 = 0; d0 < s.dims[0]; ++d0) {
    for (std::int32_t d1 = 0; d1 < s.dims[1]; ++d1) {
      for (std::int32_t d2 = 0; d2 < s.dims[2]; ++d2) {
        const std::int32_t base_a = d0 * s.stride_a[0] + d1 * s.stride_a[1] + d2 * s.stride_a[2];
        const std::int32_t base_b = d0 * s.stride_b[0] + d1 * s.stride_b[1] + d2 * s.stride_b[2];
        for (std::int32_t d3 = 0; d3 < s.dims[3]; ++d3) {
          *out++ = op(a[base_a + d3 * s.stride_a[3]], b[base_b + d3 * s.stride_b[3]]);
        }
      }
    }
  }
}

}  // namespace tinyscale::device
