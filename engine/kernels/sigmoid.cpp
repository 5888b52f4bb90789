// sigmoid: TFLite LOGISTIC. int8 follows tflite-micro's reference_integer_ops::Logistic
// (tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h, parameters from
// micro/kernels/logistic_common.cc): (q - zp) rescaled into Q4.27, gemmlowp's fixed-point
// logistic, rounded to Q0.8; inputs beyond the input radius saturate. The int8 output must be
// scale 1/256, zero point -128.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/kernels/fixed_point_activation.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

using LogisticInt8Data = FixedPointActivationData;

std::int8_t logistic_int8(const LogisticInt8Data& p, std::int8_t q) {
  return fixed_point_activation_int8(
      p, q, [](FixedPoint<kFixedPointActivationInputBits> x) { return fixed_point_logistic(x); }, 8,
      -128);
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_fixed_point_activation(ctx, 1.0f / 256, -128, &ctx.data<LogisticInt8Data>());
}

Status eval_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<LogisticInt8Data>();
  const std::int8_t* in = ctx.inputs[0].as<const std::int8_t>();
  std::int8_t* out = ctx.outputs[0].as<std::int8_t>();
  for (std::int64_t i = 0; i < d.size; ++i) out[i] = logistic_int8(d, in[i]);
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const float* in = ctx.inputs[0].as<const float>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0, n = ctx.data<std::int64_t>(); i < n; ++i)
    out[i] = 1.0f / (1.0f + std::exp(-in[i]));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kSigmoidInt8{core::OpType::sigmoid, core::DType::int8,
                                     sizeof(LogisticInt8Data), prepare_int8, eval_int8};
extern const KernelInfo kSigmoidFloat32{core::OpType::sigmoid, core::DType::float32,
                                        sizeof(std::int64_t), prepare_unary_float, eval_float};

}  // namespace tinyscale::engine
