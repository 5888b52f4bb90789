// relu: TFLite RELU. int8 follows tflite-micro's ReluQuantized (micro/kernels/activations.cc,
// parameters from activations_common.cc CalculateReluOpData): the input is requantized to
// the output scale (input_scale / output_scale multiplier), then clamped at the output's 0.
// The int8 math is the freestanding device kernel device::relu_s8 (device/relu.h); the
// float32 reference stays host-only.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/device/relu.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct ReluInt8Data {
  device::ReluS8Params params;
};

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  std::int64_t size = 0;
  if (Status s = prepare_unary_size(ctx, &size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  device::ReluS8Params& d = ctx.data<ReluInt8Data>().params;
  d.size = static_cast<std::int32_t>(size);
  int shift = 0;
  quantize_multiplier(static_cast<double>(scale_of(x)) / static_cast<double>(scale_of(y)),
                      &d.multiplier, &shift);
  d.shift = shift;
  d.input_zero_point = zero_point_of(x);
  d.output_zero_point = zero_point_of(y);
  // roundf(0 / scale) = 0: the lower clamp is the output zero point.
  d.act_min = std::max<std::int32_t>(-128, d.output_zero_point);
  d.act_max = 127;
  *scratch_bytes = device::relu_s8_scratch_bytes(d);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::relu_s8(ctx.data<ReluInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                  ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
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
                                  prepare_int8,       eval_int8,         nullptr,
                                  "relu_s8"};
extern const KernelInfo kReluFloat32{core::OpType::relu, core::DType::float32, sizeof(std::int64_t),
                                     prepare_unary_float, eval_float};

}  // namespace tinyscale::engine
