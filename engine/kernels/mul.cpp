// mul: TFLite MUL with NHWC broadcasting (rank <= 4, e.g. the squeeze-excite gate
// [1,H,W,C] × [1,1,1,C]) and the fused activation. int8 follows tflite-micro's
// reference_integer_ops::Mul / BroadcastMul4DSlow (tensorflow/lite/kernels/internal/reference/
// integer_ops/mul.h) with micro/kernels/mul_common.cc: (a - za)(b - zb) × sa·sb/sy.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct MulInt8Data {
  Broadcast4d shape;
  std::int32_t input1_offset, input2_offset, output_offset, output_multiplier;
  int output_shift;
  std::int32_t act_min, act_max;
};

std::int8_t mul_int8(const MulInt8Data& p, std::int8_t a, std::int8_t b) {
  const std::int32_t product = (p.input1_offset + a) * (p.input2_offset + b);
  const std::int32_t raw = p.output_offset + multiply_by_quantized_multiplier(
                                                 product, p.output_multiplier, p.output_shift);
  return static_cast<std::int8_t>(std::clamp(raw, p.act_min, p.act_max));
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<MulInt8Data>();
  if (Status s = prepare_broadcast(ctx, &d.shape); s != Status::ok) return s;
  const core::Tensor& a = *ctx.inputs[0].tensor;
  const core::Tensor& b = *ctx.inputs[1].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  for (const core::Tensor* t : {&a, &b, &y}) {
    if (Status s = check_int8_activation(ctx, *t); s != Status::ok) return s;
  }
  const double real = static_cast<double>(scale_of(a)) * static_cast<double>(scale_of(b)) /
                      static_cast<double>(scale_of(y));
  quantize_multiplier(real, &d.output_multiplier, &d.output_shift);
  if (d.output_shift > 30) {
    return ctx.fail(Status::invalid_quantization, "mul '%s': output scale %g is too small",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)));
  }
  d.input1_offset = -zero_point_of(a);
  d.input2_offset = -zero_point_of(b);
  d.output_offset = zero_point_of(y);
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &d.act_min,
                        &d.act_max);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<MulInt8Data>();
  broadcast_binary(d.shape, ctx.inputs[0].as<const std::int8_t>(),
                   ctx.inputs[1].as<const std::int8_t>(), ctx.outputs[0].as<std::int8_t>(),
                   [&](std::int8_t a, std::int8_t b) { return mul_int8(d, a, b); });
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<BinaryFloatData>();
  broadcast_binary(d.shape, ctx.inputs[0].as<const float>(), ctx.inputs[1].as<const float>(),
                   ctx.outputs[0].as<float>(),
                   [&](float a, float b) { return std::clamp(a * b, d.act_min, d.act_max); });
  return Status::ok;
}

}  // namespace

extern const KernelInfo kMulInt8{core::OpType::mul, core::DType::int8, sizeof(MulInt8Data),
                                 prepare_int8, eval_int8};
extern const KernelInfo kMulFloat32{core::OpType::mul, core::DType::float32,
                                    sizeof(BinaryFloatData), prepare_binary_float, eval_float};

}  // namespace tinyscale::engine
