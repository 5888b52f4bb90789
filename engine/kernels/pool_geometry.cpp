#include "engine/kernels/pool_geometry.h"

#include <algorithm>
#include <cstdint>

#include "core/ops.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {

Status prepare_pool_geometry(NodeContext& ctx, PoolGeometry* g) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_rank(ctx, x, 4); s != Status::ok) return s;
  const core::Attributes& a = ctx.node->attrs;
  const bool window_ok = a.kernel_h >= 1 && a.kernel_w >= 1 && a.stride_h >= 1 && a.stride_w >= 1 &&
                         a.pad_top >= 0 && a.pad_left >= 0 && a.pad_bottom >= 0 &&
                         a.pad_right >= 0 && a.pad_top < a.kernel_h && a.pad_bottom < a.kernel_h &&
                         a.pad_left < a.kernel_w && a.pad_right < a.kernel_w;
  const std::int64_t out_h = (x.shape[1] + a.pad_top + a.pad_bottom - a.kernel_h) / a.stride_h + 1;
  const std::int64_t out_w = (x.shape[2] + a.pad_left + a.pad_right - a.kernel_w) / a.stride_w + 1;
  if (!window_ok || out_h < 1 || out_w < 1 ||
      y.shape != core::Shape{x.shape[0], out_h, out_w, x.shape[3]}) {
    return ctx.fail(Status::invalid_model,
                    "%s '%s': window %dx%d (stride %dx%d, padding below the kernel size) does not "
                    "map the input onto the output",
                    core::op_name(ctx.node->op), ctx.node->name.c_str(), a.kernel_h, a.kernel_w,
                    a.stride_h, a.stride_w);
  }
  *g = {static_cast<int>(x.shape[0]),
        static_cast<int>(x.shape[1]),
        static_cast<int>(x.shape[2]),
        static_cast<int>(x.shape[3]),
        static_cast<int>(out_h),
        static_cast<int>(out_w),
        a.kernel_h,
        a.kernel_w,
        a.stride_h,
        a.stride_w,
        a.pad_top,
        a.pad_left};
  return Status::ok;
}

}  // namespace tinyscale::engine
