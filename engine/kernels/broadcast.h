// Numpy-style broadcasting of two NHWC tensors (rank ≤ 4) for the binary elementwise
// kernels (add, mul): shapes are extended to rank 4, and a stride of 0 repeats an axis.
//
// Usage:
//   Broadcast4d s;  if (!make_broadcast(a.shape, b.shape, out.shape, &s)) fail...
//   broadcast_binary(s, a, b, out, [](int8_t x, int8_t y) { return ...; });
#pragma once

#include <cstdint>

#include "core/graph.h"
#include "core/ops.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

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

// Two inputs that broadcast to the output (rank ≤ 4), as ADD and MUL need.
inline Status prepare_broadcast(NodeContext& ctx, Broadcast4d* s) {
  if (Status st = check_arity(ctx, 2, 2); st != Status::ok) return st;
  const core::Shape& a = ctx.inputs[0].tensor->shape;
  const core::Shape& b = ctx.inputs[1].tensor->shape;
  if (!make_broadcast(a, b, ctx.outputs[0].tensor->shape, s)) {
    return ctx.fail(Status::invalid_model,
                    "%s '%s': inputs of rank %d and %d do not broadcast to the output (rank <= 4)",
                    core::op_name(ctx.node->op), ctx.node->name.c_str(), static_cast<int>(a.size()),
                    static_cast<int>(b.size()));
  }
  return Status::ok;
}

// The float32 binary kernels' op_data and their whole prepare(): shapes, dtypes, the fused
// activation range.
struct BinaryFloatData {
  Broadcast4d shape;
  float act_min, act_max;
};

inline Status prepare_binary_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<BinaryFloatData>();
  if (Status s = prepare_broadcast(ctx, &d.shape); s != Status::ok) return s;
  for (const core::Tensor* t :
       {ctx.inputs[0].tensor, ctx.inputs[1].tensor, ctx.outputs[0].tensor}) {
    if (Status s = check_float32(ctx, *t); s != Status::ok) return s;
  }
  activation_range_float(ctx.node->attrs.fused_activation, &d.act_min, &d.act_max);
  return Status::ok;
}

}  // namespace tinyscale::engine
