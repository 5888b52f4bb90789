// max_pool: TFLite MAX_POOL_2D: the maximum over the window cells inside the input (padding
// never wins), then the fused activation clamp. Follows tflite-micro's
// reference_integer_ops::MaxPool (tensorflow/lite/kernels/internal/reference/integer_ops/
// pooling.h) and reference_ops::MaxPool (reference/pooling.h). Input and output share
// quantization. The int8 math is the freestanding device kernel device::max_pool_s8
// (device/max_pool.h); the float32 reference stays host-only.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/ops.h"
#include "engine/kernels/device/max_pool.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/pool_geometry.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct MaxPoolInt8Data {
  device::MaxPoolS8Params params;
};

struct MaxPoolFloatData {
  PoolGeometry geometry;
  float act_min, act_max;
};

// Maximum over the in-image window cells, clamped to [act_min, act_max] (float32; the int8
// kernel is device::max_pool_s8).
void max_pool_reference(const PoolGeometry& g, const float* input, float* output, float act_min,
                        float act_max) {
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
          float max = std::numeric_limits<float>::lowest();
          for (int ky = ky_begin; ky < ky_end; ++ky) {
            for (int kx = kx_begin; kx < kx_end; ++kx) {
              const int iy = in_y_origin + ky, ix = in_x_origin + kx;
              max = std::max(
                  max,
                  input[((static_cast<std::int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.channels +
                        c]);
            }
          }
          output[((static_cast<std::int64_t>(b) * g.out_h + oy) * g.out_w + ox) * g.channels + c] =
              std::clamp(max, act_min, act_max);
        }
      }
    }
  }
}

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  device::MaxPoolS8Params& d = ctx.data<MaxPoolInt8Data>().params;
  if (Status s = prepare_pool_geometry(ctx, &d.geometry); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &d.act_min,
                        &d.act_max);
  *scratch_bytes = device::max_pool_s8_scratch_bytes(d);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::max_pool_s8(ctx.data<MaxPoolInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                      ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<MaxPoolFloatData>();
  if (Status s = prepare_pool_geometry(ctx, &d.geometry); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.outputs[0].tensor); s != Status::ok) return s;
  activation_range_float(ctx.node->attrs.fused_activation, &d.act_min, &d.act_max);
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<MaxPoolFloatData>();
  max_pool_reference(d.geometry, ctx.inputs[0].as<const float>(), ctx.outputs[0].as<float>(),
                     d.act_min, d.act_max);
  return Status::ok;
}

}  // namespace

extern const KernelInfo kMaxPoolInt8{core::OpType::max_pool, core::DType::int8,
                                     sizeof(MaxPoolInt8Data), prepare_int8,
                                     eval_int8,               nullptr,
                                     "max_pool_s8"};
extern const KernelInfo kMaxPoolFloat32{core::OpType::max_pool, core::DType::float32,
                                        sizeof(MaxPoolFloatData), prepare_float, eval_float};

}  // namespace tinyscale::engine
