// The device kernels (engine/kernels/device/) count elements and bytes in std::int32_t. A
// host prepare() filling device params checks its tensors with check_device_size first, so
// a tensor of 2^31 bytes or more is refused with one line naming the op, node and tensor
// instead of wrapping.
//
// Usage (engine/kernels/relu.cpp prepare):
//   if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
//   p.size = static_cast<std::int32_t>(core::num_elements(x.shape));
#pragma once

#include <cstdint>

#include "core/graph.h"
#include "core/ops.h"
#include "engine/kernels/kernel.h"

namespace tinyscale::engine {

inline Status check_device_size(const NodeContext& ctx, const core::Tensor& t) {
  if (core::num_elements(t.shape) * core::dtype_size(t.dtype) > INT32_MAX) {
    return ctx.fail(Status::invalid_model,
                    "%s '%s': tensor '%s' has 2^31 bytes or more (the device kernels count "
                    "in int32)",
                    core::op_name(ctx.node->op), ctx.node->name.c_str(), t.name.c_str());
  }
  return Status::ok;
}

// `values` (a shape, a start or a size of rank <= kRank) as device params of rank kRank:
// right-aligned, the leading entries `fill` (1 for dims and sizes, 0 for starts), as the
// slice and paste device kernels take them. The values must already fit int32.
template <std::size_t kRank>
void right_align(const core::Shape& values, std::int32_t fill, std::int32_t (&out)[kRank]) {
  const std::size_t lead = kRank - values.size();
  for (std::size_t i = 0; i < kRank; ++i) {
    out[i] = i < lead ? fill : static_cast<std::int32_t>(values[i - lead]);
  }
}

}  // namespace tinyscale::engine
