// hard_swish: x · relu6(x + 3) / 6 (TFLite HARD_SWISH). int8 follows tflite-micro's
// reference_ops::HardSwish<int8_t> (tensorflow/lite/kernels/internal/reference/hard_swish.h,
// parameters from micro/kernels/hard_swish_common.cc): 16-bit fixed point throughout, the
// input shifted to a "hires" scale (input_scale / 128), a Q0.15 output multiplier and a Q0.15
// "reluish" multiplier mapping [-3, 3] onto [-1, 1], with TFLite's own mix of rounding and
// truncating high multiplies.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct HardSwishInt8Data {
  std::int64_t size;
  std::int32_t input_zero_point, output_zero_point;
  std::int16_t output_multiplier_fixedpoint, reluish_multiplier_fixedpoint;
  int output_multiplier_exponent, reluish_multiplier_exponent;
};

std::int16_t saturate_int16(std::int64_t v) {
  return static_cast<std::int16_t>(std::clamp<std::int64_t>(
      v, std::numeric_limits<std::int16_t>::min(), std::numeric_limits<std::int16_t>::max()));
}
std::int16_t saturating_left_shift(std::int16_t value, int amount) {
  return saturate_int16(static_cast<std::int64_t>(value) * (std::int64_t{1} << amount));
}
// Like the rounding high-mul, but truncating toward zero (ARM SQDMULH).
std::int16_t saturating_doubling_high_mul(std::int16_t a, std::int16_t b) {
  const bool overflow = a == b && a == std::numeric_limits<std::int16_t>::min();
  const std::int32_t ab = static_cast<std::int32_t>(a) * static_cast<std::int32_t>(b);
  return overflow ? std::numeric_limits<std::int16_t>::max()
                  : static_cast<std::int16_t>(ab / (1 << 15));
}

std::int8_t hard_swish_int8(const HardSwishInt8Data& p, std::int8_t q) {
  const auto input_value = static_cast<std::int16_t>(q - p.input_zero_point);
  const auto input_on_hires_scale = static_cast<std::int16_t>(input_value * (1 << 7));
  const std::int16_t input_on_preshift_output_scale =
      saturating_rounding_doubling_high_mul(input_on_hires_scale, p.output_multiplier_fixedpoint);
  // Reluish value: the input rescaled so that 3.0 maps to 32768, saturating, then to [0, 1].
  std::int16_t reluish = input_on_hires_scale;
  if (p.reluish_multiplier_exponent > 0)
    reluish = saturating_left_shift(reluish, p.reluish_multiplier_exponent - 1);
  reluish = saturating_rounding_doubling_high_mul(reluish, p.reluish_multiplier_fixedpoint);
  if (p.reluish_multiplier_exponent > 0) reluish = saturating_left_shift(reluish, 1);
  if (p.reluish_multiplier_exponent < 0)
    reluish = rounding_divide_by_pot(reluish, -p.reluish_multiplier_exponent);
  reluish = static_cast<std::int16_t>((reluish + (1 << 15)) >> 1);
  const std::int16_t preshift_output =
      saturating_doubling_high_mul(reluish, input_on_preshift_output_scale);
  // The zero point is added in 16 bits, as TFLite does (it wraps before the clamp).
  const auto output = static_cast<std::int16_t>(
      rounding_divide_by_pot(preshift_output, -p.output_multiplier_exponent) + p.output_zero_point);
  return static_cast<std::int8_t>(std::clamp<std::int16_t>(output, -128, 127));
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<HardSwishInt8Data>();
  if (Status s = prepare_unary_size(ctx, &d.size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  d.input_zero_point = zero_point_of(x);
  d.output_zero_point = zero_point_of(y);
  // Scale ratios in float, as TFLite computes them.
  const float hires_input_scale = (1.0f / 128.0f) * scale_of(x);
  const float reluish_scale = 3.0f / 32768.0f;
  std::int32_t multiplier = 0;
  quantize_multiplier(static_cast<double>(hires_input_scale / scale_of(y)), &multiplier,
                      &d.output_multiplier_exponent);
  d.output_multiplier_fixedpoint = down_scale_int32_to_int16_multiplier(multiplier);
  quantize_multiplier(static_cast<double>(hires_input_scale / reluish_scale), &multiplier,
                      &d.reluish_multiplier_exponent);
  d.reluish_multiplier_fixedpoint = down_scale_int32_to_int16_multiplier(multiplier);
  if (d.output_multiplier_exponent > 0 || d.output_multiplier_exponent < -31 ||
      d.reluish_multiplier_exponent > 31) {
    return ctx.fail(Status::invalid_quantization,
                    "hard_swish '%s': output scale %g must be at least input scale %g / 128",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)),
                    static_cast<double>(scale_of(x)));
  }
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<HardSwishInt8Data>();
  const std::int8_t* in = ctx.inputs[0].as<const std::int8_t>();
  std::int8_t* out = ctx.outputs[0].as<std::int8_t>();
  for (std::int64_t i = 0; i < d.size; ++i) out[i] = hard_swish_int8(d, in[i]);
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const float* in = ctx.inputs[0].as<const float>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0, n = ctx.data<std::int64_t>(); i < n; ++i) {
    out[i] = in[i] * std::min(6.0f, std::max(0.0f, in[i] + 3.0f)) / 6.0f;
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kHardSwishInt8{core::OpType::hard_swish, core::DType::int8,
                                       sizeof(HardSwishInt8Data), prepare_int8, eval_int8};
extern const KernelInfo kHardSwishFloat32{core::OpType::hard_swish, core::DType::float32,
                                          sizeof(std::int64_t), prepare_unary_float, eval_float};

}  // namespace tinyscale::engine
