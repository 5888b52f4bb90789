// avg_pool: TFLite AVERAGE_POOL_2D. The average covers only the window cells inside the
// input (filter_count), as TFLite does; int8 rounds the integer average half away from zero.
// Follows tflite-micro's reference_integer_ops::AveragePool
// (tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h) and reference_ops::
// AveragePool (reference/pooling.h). Input and output share quantization.
// The int8 math is the freestanding device kernel device::avg_pool_s8 (device/avg_pool.h);
// the float32 reference stays host-only.
#include <algorithm>
#include <cstdint>

#include "core/ops.h"
#include "engine/kernels/device/avg_pool.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/pool_geometry.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

template <typename T>
struct PoolData {
  PoolGeometry geometry;
  T act_min, act_max;
};

// Sum of the in-image window cells and their count, per output element; `finish` divides.
template <typename T, typename Acc, typename Finish>
void avg_pool_reference(const PoolGeometry& g, const T* input, T* output, Finish&& finish) {
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int in_y_origin = oy * g.stride_h - g.pad_top;
      const int ky_begin = std::max(0, -in_y_origin);
      const int ky_end = std::min(g.kernel_h, g.in_h - in_y_origin);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int in_x_origin = ox * g.stride_w - g.pad_left;
        const int kx_begin = std::max(0, -in_x_origin);
        const int kx_end = std::min(g.kernel_w, g.in_w - in_x_origin);
        for (int c = 0; c < g.channels; ++c) {
          Acc sum = 0;
          int count = 0;
          for (int ky = ky_begin; ky < ky_end; ++ky) {
            for (int kx = kx_begin; kx < kx_end; ++kx) {
              const int iy = in_y_origin + ky, ix = in_x_origin + kx;
              sum += static_cast<Acc>(
                  input[((static_cast<std::int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.channels +
                        c]);
              ++count;
            }
          }
          output[((static_cast<std::int64_t>(b) * g.out_h + oy) * g.out_w + ox) * g.channels + c] =
              finish(sum, count);
        }
      }
    }
  }
}

// op_data is the device params (the device kernel contract).
Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  auto& p = ctx.data<device::AvgPoolS8Params>();
  if (Status s = prepare_pool_geometry(ctx, &p.geometry); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &p.act_min,
                        &p.act_max);
  *scratch_bytes = device::avg_pool_s8_scratch_bytes(p);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::avg_pool_s8(ctx.data<device::AvgPoolS8Params>(), ctx.inputs[0].as<const std::int8_t>(),
                      ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<PoolData<float>>();
  if (Status s = prepare_pool_geometry(ctx, &d.geometry); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.outputs[0].tensor); s != Status::ok) return s;
  activation_range_float(ctx.node->attrs.fused_activation, &d.act_min, &d.act_max);
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<PoolData<float>>();
  avg_pool_reference<float, float>(d.geometry, ctx.inputs[0].as<const float>(),
                                   ctx.outputs[0].as<float>(), [&](float sum, int count) {
                                     return std::clamp(sum / static_cast<float>(count), d.act_min,
                                                       d.act_max);
                                   });
  return Status::ok;
}

}  // namespace

extern const KernelInfo kAvgPoolInt8{core::OpType::avg_pool,
                                     core::DType::int8,
                                     sizeof(device::AvgPoolS8Params),
                                     prepare_int8,
                                     eval_int8,
                                     nullptr,
                                     "avg_pool_s8"};
extern const KernelInfo kAvgPoolFloat32{core::OpType::avg_pool, core::DType::float32,
                                        sizeof(PoolData<float>), prepare_float, eval_float};

}  // namespace tinyscale::engine
