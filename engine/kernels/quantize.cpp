// quantize: TFLite QUANTIZE to int8, from float32 (reference_ops::AffineQuantize:
// round(x / scale) + zero_point, float division, clamped) or from int8 (requantize:
// reference_ops::Requantize with input_scale / output_scale via MultiplyByQuantizedMultiplier;
// tensorflow/lite/kernels/internal/reference/{quantize,requantize}.h and
// micro/kernels/quantize_common.cc).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct QuantizeData {
  std::int64_t size;
  float output_scale;
  std::int32_t input_zero_point, output_zero_point, multiplier;
  int shift;
};

Status prepare_common(NodeContext& ctx, core::DType input_dtype) {
  auto& d = ctx.data<QuantizeData>();
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_same_shape(ctx, x, y); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  d.size = core::num_elements(x.shape);
  d.output_scale = scale_of(y);
  d.output_zero_point = zero_point_of(y);
  if (input_dtype == core::DType::float32) return check_float32(ctx, x);
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  d.input_zero_point = zero_point_of(x);
  quantize_multiplier(static_cast<double>(scale_of(x)) / static_cast<double>(scale_of(y)),
                      &d.multiplier, &d.shift);
  if (d.shift > 30) {
    return ctx.fail(Status::invalid_quantization, "quantize '%s': output scale %g is too small",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)));
  }
  return Status::ok;
}

Status prepare_from_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::float32);
}
Status prepare_from_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::int8);
}

Status eval_from_float(const NodeContext& ctx) {
  const auto& d = ctx.data<QuantizeData>();
  const float* in = ctx.inputs[0].as<const float>();
  std::int8_t* out = ctx.outputs[0].as<std::int8_t>();
  for (std::int64_t i = 0; i < d.size; ++i) {
    // Clamping the rounded float first keeps the int conversion defined for huge inputs.
    const float rounded = std::clamp(std::round(in[i] / d.output_scale), -1.0e6f, 1.0e6f);
    out[i] = static_cast<std::int8_t>(std::clamp<std::int32_t>(
        static_cast<std::int32_t>(rounded) + d.output_zero_point, -128, 127));
  }
  return Status::ok;
}

Status eval_from_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<QuantizeData>();
  const std::int8_t* in = ctx.inputs[0].as<const std::int8_t>();
  std::int8_t* out = ctx.outputs[0].as<std::int8_t>();
  for (std::int64_t i = 0; i < d.size; ++i) {
    const std::int32_t v =
        multiply_by_quantized_multiplier(in[i] - d.input_zero_point, d.multiplier, d.shift) +
        d.output_zero_point;
    out[i] = static_cast<std::int8_t>(std::clamp<std::int32_t>(v, -128, 127));
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kQuantizeFloat32{core::OpType::quantize, core::DType::float32,
                                         sizeof(QuantizeData), prepare_from_float, eval_from_float};
extern const KernelInfo kQuantizeInt8{core::OpType::quantize, core::DType::int8,
                                      sizeof(QuantizeData), prepare_from_int8, eval_from_int8};

}  // namespace tinyscale::engine
