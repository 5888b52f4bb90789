// add: TFLite ADD with NHWC broadcasting (rank <= 4, e.g. [1,H,W,C] + [1,1,1,C]) and the
// fused activation. int8 follows tflite-micro's reference_integer_ops::Add / BroadcastAdd4DSlow
// (tensorflow/lite/kernels/internal/reference/integer_ops/add.h) with the parameters of
// micro/kernels/add_common.cc: both inputs are shifted left by 20 bits, rescaled to
// 2 × max(input scales), summed, and rescaled to the output scale.
// The int8 math is the freestanding device kernel device::add_s8 (device/add.h); the float32
// reference stays host-only.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/broadcast.h"
#include "engine/kernels/device/add.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kLeftShift = device::kAddLeftShift;

// op_data is the device params (the device kernel contract).
Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  auto& d = ctx.data<device::AddS8Params>();
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
  int shift1 = 0, shift2 = 0, shift_out = 0;
  if (!quantize_multiplier_smaller_than_one_exp(real1, &d.input1_multiplier, &shift1) ||
      !quantize_multiplier_smaller_than_one_exp(real2, &d.input2_multiplier, &shift2) ||
      !quantize_multiplier_smaller_than_one_exp(real_out, &d.output_multiplier, &shift_out)) {
    return ctx.fail(Status::invalid_quantization,
                    "add '%s': output scale %g is too small for input scales %g and %g",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)),
                    static_cast<double>(scale_of(a)), static_cast<double>(scale_of(b)));
  }
  d.input1_shift = shift1;
  d.input2_shift = shift2;
  d.output_shift = shift_out;
  d.input1_offset = -zero_point_of(a);
  d.input2_offset = -zero_point_of(b);
  d.output_offset = zero_point_of(y);
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &d.act_min,
                        &d.act_max);
  *scratch_bytes = device::add_s8_scratch_bytes(d);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::add_s8(ctx.data<device::AddS8Params>(), ctx.inputs[0].as<const std::int8_t>(),
                 ctx.inputs[1].as<const std::int8_t>(), ctx.outputs[0].as<std::int8_t>(),
                 static_cast<std::int8_t*>(ctx.scratch));
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

extern const KernelInfo kAddInt8{core::OpType::add,         core::DType::int8,
                                 sizeof(device::AddS8Params), prepare_int8,
                                 eval_int8,                   nullptr,
                                 "add_s8"};
extern const KernelInfo kAddFloat32{core::OpType::add, core::DType::float32,
                                    sizeof(BinaryFloatData), prepare_binary_float, eval_float};

}  // namespace tinyscale::engine
