// add: TFLite ADD with NHWC broadcasting (rank <= 4, e.g. [1,H,W,C] + [1,1,1,C]) and the
// fused activation. int8 follows tflite-micro's reference_integer_ops::Add / BroadcastAdd4DSlow
// (tensorflow/lite/kernels/internal/reference/integer_ops/add.h) with the parameters of
// micro/kernels/add_common.cc: both inputs are shifted left by 20 bits, rescaled to
// 2 × max(input scales), summed, and rescaled to the output scale.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kLeftShift = 20;

struct AddInt8Data {
  Broadcast4d shape;
  std::int32_t input1_offset, input2_offset, output_offset;
  std::int32_t input1_multiplier, input2_multiplier, output_multiplier;
  int input1_shift, input2_shift, output_shift;
  std::int32_t act_min, act_max;
};

std::int8_t add_int8(const AddInt8Data& p, std::int8_t a, std::int8_t b) {
  const std::int32_t shifted1 = (p.input1_offset + a) * (1 << kLeftShift);
  const std::int32_t shifted2 = (p.input2_offset + b) * (1 << kLeftShift);
  const std::int32_t scaled1 = multiply_by_quantized_multiplier_smaller_than_one_exp(
      shifted1, p.input1_multiplier, p.input1_shift);
  const std::int32_t scaled2 = multiply_by_quantized_multiplier_smaller_than_one_exp(
      shifted2, p.input2_multiplier, p.input2_shift);
  const std::int32_t raw = multiply_by_quantized_multiplier_smaller_than_one_exp(
                               scaled1 + scaled2, p.output_multiplier, p.output_shift) +
                           p.output_offset;
  return static_cast<std::int8_t>(std::clamp(raw, p.act_min, p.act_max));
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<AddInt8Data>();
  if (Status s = prepare_broadcast(ctx, &d.shape); s != Status::ok) return s;
  const core::Tensor& a = *ctx.inputs[0].tensor;
  const core::Tensor& b = *ctx.inputs[1].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  for (const core::Tensor* t : {&a, &b, &y}) {
    if (Status s = check_int8_activation(ctx, *t); s != Status::ok) return s;
  }
  const double twice_max_input_scale = 2 * static_cast<double>(std::max(scale_of(a), scale_of(b)));
  const double real1 = static_cast<double>(scale_of(a)) / twice_max_input_scale;
  const double real2 = static_cast<double>(scale_of(b)) / twice_max_input_scale;
  const double real_out =
      twice_max_input_scale / ((1 << kLeftShift) * static_cast<double>(scale_of(y)));
  if (!quantize_multiplier_smaller_than_one_exp(real1, &d.input1_multiplier, &d.input1_shift) ||
      !quantize_multiplier_smaller_than_one_exp(real2, &d.input2_multiplier, &d.input2_shift) ||
      !quantize_multiplier_smaller_than_one_exp(real_out, &d.output_multiplier, &d.output_shift)) {
    return ctx.fail(Status::invalid_quantization,
                    "add '%s': output scale %g is too small for input scales %g and %g",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)),
                    static_cast<double>(scale_of(a)), static_cast<double>(scale_of(b)));
  }
  d.input1_offset = -zero_point_of(a);
  d.input2_offset = -zero_point_of(b);
  d.output_offset = zero_point_of(y);
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &d.act_min,
                        &d.act_max);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<AddInt8Data>();
  broadcast_binary(d.shape, ctx.inputs[0].as<const std::int8_t>(),
                   ctx.inputs[1].as<const std::int8_t>(), ctx.outputs[0].as<std::int8_t>(),
                   [&](std::int8_t a, std::int8_t b) { return add_int8(d, a, b); });
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<BinaryFloatData>();
  broadcast_binary(d.shape, ctx.inputs[0].as<const float>(), ctx.inputs[1].as<const float>(),
                   ctx.outputs[0].as<float>(),
                   [&](float a, float b) { return std::clamp(a + b, d.act_min, d.act_max); });
  return Status::ok;
}

}  // namespace

extern const KernelInfo kAddInt8{core::OpType::add, core::DType::int8, sizeof(AddInt8Data),
                                 prepare_int8, eval_int8};
extern const KernelInfo kAddFloat32{core::OpType::add, core::DType::float32,
                                    sizeof(BinaryFloatData), prepare_binary_float, eval_float};

}  // namespace tinyscale::engine
