// mul: TFLite MUL with NHWC broadcasting (rank <= 4, e.g. the squeeze-excite gate
// [1,H,W,C] × [1,1,1,C]) and the fused activation. int8 follows tflite-micro's
// reference_integer_ops::Mul / BroadcastMul4DSlow (tensorflow/lite/kernels/internal/reference/
// integer_ops/mul.h) with micro/kernels/mul_common.cc: (a - za)(b - zb) × sa·sb/sy.
// The int8 math is the freestanding device kernel device::mul_s8 (device/mul.h); the float32
// reference stays host-only.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/broadcast.h"
#include "engine/kernels/device/mul.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data is the device params (the device kernel contract).
Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  auto& d = ctx.data<device::MulS8Params>();
  if (Status s = prepare_broadcast(ctx, &d.shape); s != Status::ok) return s;
  const core::Tensor& a = *ctx.inputs[0].tensor;
  const core::Tensor& b = *ctx.inputs[1].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  for (const core::Tensor* t : {&a, &b, &y}) {
    if (Status s = check_int8_activation(ctx, *t); s != Status::ok) return s;
  }
  const double real = static_cast<double>(scale_of(a)) * static_cast<double>(scale_of(b)) /
                      static_cast<double>(scale_of(y));
  int output_shift = 0;
  quantize_multiplier(real, &d.output_multiplier, &output_shift);
  d.output_shift = output_shift;
  if (d.output_shift > 30) {
    return ctx.fail(Status::invalid_quantization, "mul '%s': output scale %g is too small",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)));
  }
  d.input1_offset = -zero_point_of(a);
  d.input2_offset = -zero_point_of(b);
  d.output_offset = zero_point_of(y);
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &d.act_min,
                        &d.act_max);
  *scratch_bytes = device::mul_s8_scratch_bytes(d);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::mul_s8(ctx.data<device::MulS8Params>(), ctx.inputs[0].as<const std::int8_t>(),
                 ctx.inputs[1].as<const std::int8_t>(), ctx.outputs[0].as<std::int8_t>(),
                 static_cast<std::int8_t*>(ctx.scratch));
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

extern const KernelInfo kMulInt8{core::OpType::mul,         core::DType::int8,
                                 sizeof(device::MulS8Params), prepare_int8,
                                 eval_int8,                   nullptr,
                                 "mul_s8"};
extern const KernelInfo kMulFloat32{core::OpType::mul, core::DType::float32,
                                    sizeof(BinaryFloatData), prepare_binary_float, eval_float};

}  // namespace tinyscale::engine
