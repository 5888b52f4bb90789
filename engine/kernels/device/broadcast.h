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
  std::int32_t dims[4];                   // output dims
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

// The broadcast of two NHWC shapes already of rank 4 (each axis equal, or 1 in one of them):
// what engine/kernels/broadcast.h's make_broadcast gives for such shapes (the kernels' tests
// and firmwares build their cases with it).
inline Broadcast4d broadcast_4d(const std::int32_t (&a)[4], const std::int32_t (&b)[4]) {
  Broadcast4d s{};
  std::int32_t step_a = 1, step_b = 1;
  for (int i = 3; i >= 0; --i) {
    s.dims[i] = a[i] > b[i] ? a[i] : b[i];
    s.stride_a[i] = a[i] == 1 ? 0 : step_a;
    s.stride_b[i] = b[i] == 1 ? 0 : step_b;
    step_a *= a[i];
    step_b *= b[i];
  }
  return s;
}

// A binary op's call as rows, for the fast kernels' loops (mul_fast.h, add_fast.h): `rows`
// runs of `length` values; row k of the full operand (the output's shape) starts at
// k * full_step, of the other at k * other_step (0: the same values for every pixel, a
// [.., C] operand over [N, H, W, C]); output row k at k * length. `swapped`: the full operand
// is input 2 (the other one input 1). False where the broadcast has neither form.
struct BroadcastRows {
  std::int32_t rows, length, full_step, other_step;
  bool swapped;
};

namespace broadcast_detail {
// Every axis the output walks (dims > 1) at the contiguous stride.
inline bool contiguous(const Broadcast4d& s, const std::int32_t* stride) {
  std::int32_t step = 1;
  for (int i = 3; i >= 0; --i) {
    if (s.dims[i] > 1 && stride[i] != step) return false;
    step *= s.dims[i];
  }
  return true;
}
// One value per channel, the same for every pixel.
inline bool channel_row(const Broadcast4d& s, const std::int32_t* stride) {
  for (int i = 0; i < 3; ++i) {
    if (s.dims[i] > 1 && stride[i] != 0) return false;
  }
  return s.dims[3] == 1 || stride[3] == 1;
}
}  // namespace broadcast_detail

inline bool broadcast_rows(const Broadcast4d& s, BroadcastRows* r) {
  using broadcast_detail::channel_row;
  using broadcast_detail::contiguous;
  const std::int32_t pixels = s.dims[0] * s.dims[1] * s.dims[2];
  const std::int32_t c = s.dims[3];
  const bool a_full = contiguous(s, s.stride_a), b_full = contiguous(s, s.stride_b);
  if (a_full && b_full) {  // elementwise: one row
    *r = {1, pixels * c, 0, 0, false};
  } else if (a_full && channel_row(s, s.stride_b)) {
    *r = {pixels, c, c, 0, false};
  } else if (b_full && channel_row(s, s.stride_a)) {
    *r = {pixels, c, c, 0, true};
  } else {
    return false;
  }
  return true;
}

}  // namespace tinyscale::device
