// sigmoid: TFLite LOGISTIC. int8 follows tflite-micro's reference_integer_ops::Logistic
// (tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h, parameters from
// micro/kernels/logistic_common.cc): (q - zp) rescaled into Q4.27, gemmlowp's fixed-point
// logistic, rounded to Q0.8; inputs beyond the input radius saturate. The int8 output must be
// scale 1/256, zero point -128.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kInputIntegerBits = 4;

struct LogisticInt8Data {
  std::int64_t size;
  std::int32_t input_zero_point, input_range_radius, input_multiplier;
  int input_left_shift;
};

std::int8_t logistic_int8(const LogisticInt8Data& p, std::int8_t q) {
  const std::int32_t input = q - p.input_zero_point;
  if (input <= -p.input_range_radius) return -128;
  if (input >= p.input_range_radius) return 127;
  const std::int32_t input_in_q4 =
      multiply_by_quantized_multiplier(input, p.input_multiplier, p.input_left_shift);
  const std::int32_t output_in_q0 =
      fixed_point_logistic(FixedPoint<kInputIntegerBits>::from_raw(input_in_q4)).raw;
  const std::int32_t output_in_q23 = rounding_divide_by_pot(output_in_q0, 31 - 8);
  return static_cast<std::int8_t>(std::clamp<std::int32_t>(output_in_q23 - 128, -128, 127));
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<LogisticInt8Data>();
  if (Status s = prepare_unary_size(ctx, &d.size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (scale_of(y) != 1.0f / 256 || zero_point_of(y) != -128) {
    return ctx.fail(Status::invalid_quantization,
                    "sigmoid '%s': int8 output '%s' must have scale 1/256 and zero point -128",
                    ctx.node->name.c_str(), y.name.c_str());
  }
  // TFLite takes frexp's mantissa directly (no QuantizeMultiplier carry); a mantissa that
  // rounds to 2^31 would overflow, so it is rejected here.
  const double real =
      static_cast<double>(scale_of(x)) * static_cast<double>(1 << (31 - kInputIntegerBits));
  const double q = std::frexp(real, &d.input_left_shift);
  const double mantissa = std::round(q * static_cast<double>(std::int64_t{1} << 31));
  if (mantissa >= 2147483648.0 || d.input_left_shift > 30) {
    return ctx.fail(Status::invalid_quantization, "sigmoid '%s': input scale %g is out of range",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(x)));
  }
  d.input_multiplier = static_cast<std::int32_t>(mantissa);
  d.input_range_radius = calculate_input_radius(kInputIntegerBits, d.input_left_shift, 31);
  d.input_zero_point = zero_point_of(x);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<LogisticInt8Data>();
  const std::int8_t* in = ctx.inputs[0].as<const std::int8_t>();
  std::int8_t* out = ctx.outputs[0].as<std::int8_t>();
  for (std::int64_t i = 0; i < d.size; ++i) out[i] = logistic_int8(d, in[i]);
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  if (Status s = prepare_unary_size(ctx, &ctx.data<std::int64_t>()); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  return check_float32(ctx, *ctx.outputs[0].tensor);
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
                                        sizeof(std::int64_t), prepare_float, eval_float};

}  // namespace tinyscale::engine
