// quantize: TFLite QUANTIZE to int8, from float32 (reference_ops::AffineQuantize:
// round(x / scale) + zero_point, float division, clamped) or from int8 (requantize:
// reference_ops::Requantize with input_scale / output_scale via MultiplyByQuantizedMultiplier;
// tensorflow/lite/kernels/internal/reference/{quantize,requantize}.h and
// micro/kernels/quantize_common.cc). The math is the freestanding device kernels
// device::quantize_s8 and device::quantize_f32_to_s8 (device/quantize.h).
#include <cstdint>

#include "engine/kernels/device/quantize.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct QuantizeInt8Data {
  device::QuantizeS8Params params;
};
struct QuantizeFloatData {
  device::QuantizeF32ToS8Params params;
};

// The checks both kernels share; the element count into `size`.
Status prepare_common(NodeContext& ctx, std::int32_t* size) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_same_shape(ctx, x, y); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  *size = static_cast<std::int32_t>(core::num_elements(x.shape));
  return Status::ok;
}

Status prepare_from_float(NodeContext& ctx, std::int64_t* scratch_bytes) {
  device::QuantizeF32ToS8Params& p = ctx.data<QuantizeFloatData>().params;
  if (Status s = prepare_common(ctx, &p.size); s != Status::ok) return s;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  p.output_scale = scale_of(y);
  p.output_zero_point = zero_point_of(y);
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  *scratch_bytes = device::quantize_f32_to_s8_scratch_bytes(p);
  return Status::ok;
}

Status prepare_from_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  device::QuantizeS8Params& p = ctx.data<QuantizeInt8Data>().params;
  if (Status s = prepare_common(ctx, &p.size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  p.output_zero_point = zero_point_of(y);
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  p.input_zero_point = zero_point_of(x);
  int shift = 0;
  quantize_multiplier(static_cast<double>(scale_of(x)) / static_cast<double>(scale_of(y)),
                      &p.multiplier, &shift);
  p.shift = shift;
  if (p.shift > 30) {
    return ctx.fail(Status::invalid_quantization, "quantize '%s': output scale %g is too small",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)));
  }
  *scratch_bytes = device::quantize_s8_scratch_bytes(p);
  return Status::ok;
}

Status eval_from_float(const NodeContext& ctx) {
  device::quantize_f32_to_s8(ctx.data<QuantizeFloatData>().params, ctx.inputs[0].as<const float>(),
                             ctx.outputs[0].as<std::int8_t>(),
                             static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status eval_from_int8(const NodeContext& ctx) {
  device::quantize_s8(ctx.data<QuantizeInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                      ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kQuantizeFloat32{core::OpType::quantize,    core::DType::float32,
                                         sizeof(QuantizeFloatData), prepare_from_float,
                                         eval_from_float,           nullptr,
                                         "quantize_f32_to_s8"};
extern const KernelInfo kQuantizeInt8{
    core::OpType::quantize, core::DType::int8, sizeof(QuantizeInt8Data),
    prepare_from_int8,      eval_from_int8,    nullptr,
    "quantize_s8"};

}  // namespace tinyscale::engine
