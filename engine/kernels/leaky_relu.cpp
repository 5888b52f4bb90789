// leaky_relu: TFLite LEAKY_RELU, x > 0 ? x : alpha·x (attrs.leaky_alpha). int8 follows
// tflite-micro's reference_ops::QuantizeLeakyRelu (tensorflow/lite/kernels/internal/reference/
// leaky_relu.h) with micro/kernels/leaky_relu_common.cc: one multiplier for the identity side
// (input_scale / output_scale) and one for the alpha side (input_scale·alpha / output_scale),
// both ratios computed in float as TFLite does. The int8 math is the freestanding device
// kernel device::leaky_relu_s8 (device/leaky_relu.h); the float32 reference stays host-only.
#include <cstdint>

#include "engine/kernels/device/leaky_relu.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct LeakyReluInt8Data {
  device::LeakyReluS8Params params;
};

struct LeakyReluFloatData {
  std::int64_t size;
  float alpha;
};

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  std::int64_t size = 0;
  if (Status s = prepare_unary_size(ctx, &size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  device::LeakyReluS8Params& d = ctx.data<LeakyReluInt8Data>().params;
  d.size = static_cast<std::int32_t>(size);
  const float alpha = ctx.node->attrs.leaky_alpha;
  int alpha_shift = 0, identity_shift = 0;
  quantize_multiplier(static_cast<double>(scale_of(x) * alpha / scale_of(y)), &d.alpha_multiplier,
                      &alpha_shift);
  quantize_multiplier(static_cast<double>(scale_of(x) / scale_of(y)), &d.identity_multiplier,
                      &identity_shift);
  d.alpha_shift = alpha_shift;
  d.identity_shift = identity_shift;
  if (d.alpha_shift > 30 || d.identity_shift > 30) {
    return ctx.fail(Status::invalid_quantization, "leaky_relu '%s': output scale %g is too small",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)));
  }
  d.input_zero_point = zero_point_of(x);
  d.output_zero_point = zero_point_of(y);
  *scratch_bytes = device::leaky_relu_s8_scratch_bytes(d);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::leaky_relu_s8(ctx.data<LeakyReluInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                        ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<LeakyReluFloatData>();
  if (Status s = prepare_unary_size(ctx, &d.size); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.outputs[0].tensor); s != Status::ok) return s;
  d.alpha = ctx.node->attrs.leaky_alpha;
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<LeakyReluFloatData>();
  const float* in = ctx.inputs[0].as<const float>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0; i < d.size; ++i) out[i] = in[i] > 0.0f ? in[i] : in[i] * d.alpha;
  return Status::ok;
}

}  // namespace

extern const KernelInfo kLeakyReluInt8{core::OpType::leaky_relu,
                                       core::DType::int8,
                                       sizeof(LeakyReluInt8Data),
                                       prepare_int8,
                                       eval_int8,
                                       nullptr,
                                       "leaky_relu_s8"};
extern const KernelInfo kLeakyReluFloat32{core::OpType::leaky_relu, core::DType::float32,
                                          sizeof(LeakyReluFloatData), prepare_float, eval_float};

}  // namespace tinyscale::engine
