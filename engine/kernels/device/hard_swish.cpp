#include "engine/kernels/device/hard_swish.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

std::int16_t saturate_s16(std::int64_t v) {
  return static_cast<std::int16_t>(v < kInt16Min ? kInt16Min : (v > kInt16Max ? kInt16Max : v));
}
std::int16_t saturating_left_shift(std::int16_t value, int amount) {
  return saturate_s16(static_cast<std::int64_t>(value) * (std::int64_t{1} << amount));
}
// Like the rounding high-mul, but truncating toward zero (ARM SQDMULH), as TFLite uses it here.
std::int16_t saturating_doubling_high_mul(std::int16_t a, std::int16_t b) {
  const bool overflow = a == b && a == kInt16Min;
  const std::int32_t ab = static_cast<std::int32_t>(a) * static_cast<std::int32_t>(b);
  return overflow ? kInt16Max : static_cast<std::int16_t>(ab / (1 << 15));
}

std::int8_t hard_swish_value(const HardSwishS8Params& p, std::int8_t q) {
  const auto output_multiplier = static_cast<std::int16_t>(p.output_multiplier_fixedpoint);
  const auto reluish_multiplier = static_cast<std::int16_t>(p.reluish_multiplier_fixedpoint);
  const auto input_value = static_cast<std::int16_t>(q - p.input_zero_point);
  const auto input_on_hires_scale = static_cast<std::int16_t>(input_value * (1 << 7));
  const std::int16_t input_on_preshift_output_scale =
      saturating_rounding_doubling_high_mul(input_on_hires_scale, output_multiplier);
  // Reluish value: the input rescaled so that 3.0 maps to 32768, saturating, then to [0, 1].
  std::int16_t reluish = input_on_hires_scale;
  if (p.reluish_multiplier_exponent > 0)
    reluish = saturating_left_shift(reluish, p.reluish_multiplier_exponent - 1);
  reluish = saturating_rounding_doubling_high_mul(reluish, reluish_multiplier);
  if (p.reluish_multiplier_exponent > 0) reluish = saturating_left_shift(reluish, 1);
  if (p.reluish_multiplier_exponent < 0)
    reluish = rounding_divide_by_pot(reluish, -p.reluish_multiplier_exponent);
  reluish = static_cast<std::int16_t>((reluish + (1 << 15)) >> 1);
  const std::int16_t preshift_output =
      saturating_doubling_high_mul(reluish, input_on_preshift_output_scale);
  // The zero point is added in 16 bits, as TFLite does (it wraps before the clamp).
  const auto output = static_cast<std::int16_t>(
      rounding_divide_by_pot(preshift_output, -p.output_multiplier_exponent) + p.output_zero_point);
  return static_cast<std::int8_t>(clamp_s32(output, -128, 127));
}

}  // namespace

void hard_swish_s8(const HardSwishS8Params& p, const std::int8_t* input, std::int8_t* output,
                   std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) output[i] = hard_swish_value(p, input[i]);
}

std::int32_t hard_swish_s8_scratch_bytes(const HardSwishS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
