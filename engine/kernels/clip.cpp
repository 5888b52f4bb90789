// clip: clamp to [clip_min, clip_max]; with (0, 6) it is TFLite RELU6. int8 follows
// tflite-micro's Relu6Quantized (micro/kernels/activations.cc, bounds from
// activations_common.cc Relu6Prepare: FloatToQuantizedType(bound, input scale, zero point))
// generalized to any bounds; input and output share quantization. The int8 math is the
// freestanding device kernel device::clip_s8 (device/clip.h); the float32 reference stays
// host-only.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/kernels/device/clip.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct ClipFloatData {
  std::int64_t size;
  float lower, upper;
};

// op_data begins with the device params (engine/kernels/device/README.md).
struct ClipInt8Data {
  device::ClipS8Params params;
};

// round(value / scale) + zero_point clamped to int8 (TFLite FloatToQuantizedType).
std::int8_t to_int8(float value, float scale, std::int32_t zero_point) {
  const double q = static_cast<double>(std::round(value / scale)) + zero_point;
  return static_cast<std::int8_t>(std::clamp(q, -128.0, 127.0));
}

Status prepare_common(NodeContext& ctx, std::int64_t* size) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_same_shape(ctx, x, y); s != Status::ok) return s;
  const core::Attributes& a = ctx.node->attrs;
  if (!(a.clip_min < a.clip_max)) {
    return ctx.fail(Status::invalid_model, "clip '%s': clip_min %g must be below clip_max %g",
                    ctx.node->name.c_str(), static_cast<double>(a.clip_min),
                    static_cast<double>(a.clip_max));
  }
  *size = core::num_elements(x.shape);
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  std::int64_t size = 0;
  if (Status s = prepare_common(ctx, &size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  device::ClipS8Params& d = ctx.data<ClipInt8Data>().params;
  d.size = static_cast<std::int32_t>(size);
  d.lower = to_int8(ctx.node->attrs.clip_min, scale_of(x), zero_point_of(x));
  d.upper = to_int8(ctx.node->attrs.clip_max, scale_of(x), zero_point_of(x));
  *scratch_bytes = device::clip_s8_scratch_bytes(d);
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<ClipFloatData>();
  if (Status s = prepare_common(ctx, &d.size); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.outputs[0].tensor); s != Status::ok) return s;
  d.lower = ctx.node->attrs.clip_min;
  d.upper = ctx.node->attrs.clip_max;
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::clip_s8(ctx.data<ClipInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                  ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<ClipFloatData>();
  const float* in = ctx.inputs[0].as<const float>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0; i < d.size; ++i) {
    out[i] = in[i] > d.upper ? d.upper : in[i] < d.lower ? d.lower : in[i];
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kClipInt8{core::OpType::clip, core::DType::int8, sizeof(ClipInt8Data),
                                  prepare_int8,       eval_int8,         nullptr,
                                  "clip_s8"};
extern const KernelInfo kClipFloat32{core::OpType::clip, core::DType::float32,
                                     sizeof(ClipFloatData), prepare_float, eval_float};

}  // namespace tinyscale::engine
