// relu: TFLite RELU. int8 follows tflite-micro's ReluQuantized (micro/kernels/activations.cc,
// parameters from activations_common.cc CalculateReluOpData): the input is requantized to
// the output scale (input_scale / output_scale multiplier), then clamped at the output's 0.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct ReluInt8Data {
  std::int64_t size;
  std::int32_t input_zero_point, output_zero_point, multiplier;
  int shift;
  std::int32_t act_min, act_max;
};

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<ReluInt8Data>();
  if (Status s = prepare_unary_size(ctx, &d.size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  quantize_multiplier(static_cast<double>(scale_of(x)) / static_cast<double>(scale_of(y)),
                      &d.multiplier, &d.shift);
  d.input_zero_point = zero_point_of(x);
  d.output_zero_point = zero_point_of(y);
  // roundf(0 / scale) = 0: the lower clamp is the output zero point.
  d.act_min = std::max<std::int32_t>(-128, d.output_zero_point);
  d.act_max = 127;
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<ReluInt8Data>();
  const std::int8_t* in = ctx.inputs[0].as<const std::int8_t>();
  std::int8_t* out = ctx.outputs[0].as<std::int8_t>();
  for (std::int64_t i = 0; i < d.size; ++i) {
    const std::int32_t v =
        d.output_zero_point +
        multiply_by_quantized_multiplier(in[i] - d.input_zero_point, d.multiplier, d.shift);
    out[i] = static_cast<std::int8_t>(std::clamp(v, d.act_min, d.act_max));
  }
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const float* in = ctx.inputs[0].as<const float>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0, n = ctx.data<std::int64_t>(); i < n; ++i)
    out[i] = in[i] < 0.0f ? 0.0f : in[i];
  return Status::ok;
}

}  // namespace

extern const KernelInfo kReluInt8{core::OpType::relu, core::DType::int8, sizeof(ReluInt8Data),
                                  prepare_int8, eval_int8};
extern const KernelInfo kReluFloat32{core::OpType::relu, core::DType::float32, sizeof(std::int64_t),
                                     prepare_unary_float, eval_float};

}  // namespace tinyscale::engine
