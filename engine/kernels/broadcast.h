// Numpy-style broadcasting of two NHWC tensors (rank ≤ 4) for the binary elementwise
// kernels (add, mul): shapes are extended to rank 4, and a stride of 0 repeats an axis.
// The struct and the loop are the freestanding device ones (engine/kernels/device/
// broadcast.h); this header adds the host side that fills them from core::Shape.
//
// Usage:
//   Broadcast4d s;  if (!make_broadcast(a.shape, b.shape, out.shape, &s)) fail...
//   broadcast_binary(s, a, b, out, [](int8_t x, int8_t y) { return ...; });
#pragma once

#include <cstdint>

#include "core/graph.h"
#include "core/ops.h"
#include "engine/kernels/device/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {

using device::Broadcast4d;
using device::broadcast_binary;

// False when the shapes do not broadcast to `out` (or do not fit the device kernels' int32
// indexing).
inline bool make_broadcast(const core::Shape& a, const core::Shape& b, const core::Shape& out,
                           Broadcast4d* s) {
  if (a.size() > 4 || b.size() > 4 || out.size() > 4) return false;
  if (core::num_elements(out) > INT32_MAX) return false;
  auto extended = [](const core::Shape& shape, int i) {
    const int offset = 4 - static_cast<int>(shape.size());
    return i < offset ? std::int64_t{1} : shape[static_cast<std::size_t>(i - offset)];
  };
  std::int64_t step_a = 1, step_b = 1;
  for (int i = 3; i >= 0; --i) {
    const std::int64_t da = extended(a, i), db = extended(b, i), dout = extended(out, i);
    if ((da != dout && da != 1) || (db != dout && db != 1)) return false;
    s->dims[i] = static_cast<std::int32_t>(dout);
    s->stride_a[i] = da == 1 ? 0 : static_cast<std::int32_t>(step_a);
    s->stride_b[i] = db == 1 ? 0 : static_cast<std::int32_t>(step_b);
    step_a *= da;
    step_b *= db;
  }
  return true;
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
