#include "engine/kernels/device/quantize.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

// std::round without <cmath>: nearest integer, halves away from zero, for |x| < 2^23 (beyond
// that every float is an integer already; NaN comes back unchanged).
float round_half_away_from_zero(float x) {
  const float magnitude = x < 0.0f ? -x : x;
  if (!(magnitude < 8388608.0f)) return x;
  auto whole = static_cast<float>(static_cast<std::int32_t>(magnitude));  // truncation
  if (magnitude - whole >= 0.5f) whole += 1.0f;  // the difference is exact below 2^23
  return x < 0.0f ? -whole : whole;
}

}  // namespace

void quantize_s8(const QuantizeS8Params& p, const std::int8_t* input, std::int8_t* output,
                 std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    output[i] = requantize_s8(input[i] - p.input_zero_point, p.multiplier, p.shift,
                              p.output_zero_point, -128, 127);
  }
}

void quantize_f32_to_s8(const QuantizeF32ToS8Params& p, const float* input, std::int8_t* output,
                        std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    // Clamping the rounded value first keeps the int conversion defined for huge inputs;
    // NaN takes the lower bound.
    float rounded = round_half_away_from_zero(input[i] / p.output_scale);
    rounded = rounded > 1.0e6f ? 1.0e6f : (rounded >= -1.0e6f ? rounded : -1.0e6f);
    output[i] = static_cast<std::int8_t>(
        clamp_s32(static_cast<std::int32_t>(rounded) + p.output_zero_point, -128, 127));
  }
}

std::int32_t quantize_s8_scratch_bytes(const QuantizeS8Params& /*p*/) { return 0; }

std::int32_t quantize_f32_to_s8_scratch_bytes(const QuantizeF32ToS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
