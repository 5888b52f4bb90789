// Numpy-style broadcasting of two NHWC tensors (rank ≤ 4) for the binary elementwise
// kernels (add, mul): shapes are extended to rank 4, and a stride of 0 repeats an axis.
//
// Usage:
//   Broadcast4d s;  if (!make_broadcast(a.shape, b.shape, out.shape, &s)) fail...
//   broadcast_binary(s, a, b, out, [](int8_t x, int8_t y) { return ...; });
#pragma once

#include <cstdint>

#include "core/graph.h"

namespace tinyscale::engine {

// Both inputs and the output extended to rank 4; a stride of 0 repeats a broadcast axis.
struct Broadcast4d {
  int dims[4];
  std::int64_t stride_a[4], stride_b[4];
};

inline bool make_broadcast(const core::Shape& a, const core::Shape& b, const core::Shape& out,
                           Broadcast4d* s) {
  if (a.size() > 4 || b.size() > 4 || out.size() > 4) return false;
  auto extended = [](const core::Shape& shape, int i) {
    const int offset = 4 - static_cast<int>(shape.size());
    return i < offset ? std::int64_t{1} : shape[static_cast<std::size_t>(i - offset)];
  };
  std::int64_t step_a = 1, step_b = 1;
  for (int i = 3; i >= 0; --i) {
    const std::int64_t da = extended(a, i), db = extended(b, i), dout = extended(out, i);
    if ((da != dout && da != 1) || (db != dout && db != 1)) return false;
    s->dims[i] = static_cast<int>(dout);
    s->stride_a[i] = da == 1 ? 0 : step_a;
    s->stride_b[i] = db == 1 ? 0 : step_b;
    step_a *= da;
    step_b *= db;
  }
  return true;
}

template <typename In, typename Out, typename Op>
void broadcast_binary(const Broadcast4d& s, const In* a, const In* b, Out* out, Op&& op) {
  std::int64_t i = 0;
  for (int d0 = 0; d0 < s.dims[0]; ++d0)
    for (int d1 = 0; d1 < s.dims[1]; ++d1)
      for (int d2 = 0; d2 < s.dims[2]; ++d2)
        for (int d3 = 0; d3 < s.dims[3]; ++d3) {
          const std::int64_t ia =
              d0 * s.stride_a[0] + d1 * s.stride_a[1] + d2 * s.stride_a[2] + d3 * s.stride_a[3];
          const std::int64_t ib =
              d0 * s.stride_b[0] + d1 * s.stride_b[1] + d2 * s.stride_b[2] + d3 * s.stride_b[3];
          out[i++] = op(a[ia], b[ib]);
        }
}

}  // namespace tinyscale::engine
