// tanh: TFLite TANH. int8 follows tflite-micro's reference_integer_ops::Tanh
// (tensorflow/lite/kernels/internal/reference/integer_ops/tanh.h, parameters from
// micro/kernels/tanh.cc CalculateArithmeticOpData): (q - zp) rescaled into Q4.27, gemmlowp's
// fixed-point tanh, rounded to Q0.7; inputs beyond the input radius saturate. The int8
// output must be scale 1/128, zero point 0. The int8 math is the freestanding device kernel
// device::tanh_s8 (device/tanh.h); the float32 reference stays host-only.
#include <cmath>
#include <cstdint>

#include "engine/kernels/device/tanh.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/fixed_point_activation.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct TanhInt8Data {
  device::TanhS8Params params;
};

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  FixedPointActivationData d{};
  if (Status s = prepare_fixed_point_activation(ctx, 1.0f / 128, 0, &d); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  ctx.data<TanhInt8Data>().params = device_params(d);
  *scratch_bytes = device::tanh_s8_scratch_bytes(ctx.data<TanhInt8Data>().params);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::tanh_s8(ctx.data<TanhInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                  ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const float* in = ctx.inputs[0].as<const float>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0, n = ctx.data<std::int64_t>(); i < n; ++i) out[i] = std::tanh(in[i]);
  return Status::ok;
}

}  // namespace

extern const KernelInfo kTanhInt8{core::OpType::tanh, core::DType::int8, sizeof(TanhInt8Data),
                                  prepare_int8,       eval_int8,         nullptr,
                                  "tanh_s8"};
extern const KernelInfo kTanhFloat32{core::OpType::tanh, core::DType::float32, sizeof(std::int64_t),
                                     prepare_unary_float, eval_float};

}  // namespace tinyscale::engine
