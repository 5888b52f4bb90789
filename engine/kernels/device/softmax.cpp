#include "engine/kernels/device/softmax.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

constexpr int kScaledDiffIntegerBits = 5;
constexpr int kAccumulationIntegerBits = 12;

FixedPoint<0> exp_of_difference(const SoftmaxS8Params& p, std::int32_t input_diff) {
  const std::int32_t rescaled = multiply_by_quantized_multiplier_greater_than_one(
      input_diff, p.input_beta_multiplier, p.input_beta_left_shift);
  return exp_on_negative_values(FixedPoint<kScaledDiffIntegerBits>::from_raw(rescaled));
}

}  // namespace

void softmax_s8(const SoftmaxS8Params& p, const std::int8_t* input, std::int8_t* output,
                std::int8_t* /*scratch*/) {
  using Accum = FixedPoint<kAccumulationIntegerBits>;
  const std::int32_t depth = p.depth;
  for (std::int32_t r = 0; r < p.rows; ++r) {
    const std::int8_t* in = input + r * depth;
    std::int8_t* out = output + r * depth;
    std::int32_t max_in_row = in[0];
    for (std::int32_t c = 1; c < depth; ++c) max_in_row = max_s32(max_in_row, in[c]);

    Accum sum_of_exps = Accum::zero();
    for (std::int32_t c = 0; c < depth; ++c) {
      const std::int32_t input_diff = in[c] - max_in_row;
      if (input_diff >= p.diff_min) {
        sum_of_exps =
            sum_of_exps + rescale<kAccumulationIntegerBits>(exp_of_difference(p, input_diff));
      }
    }

    int num_bits_over_unit = 0;
    const FixedPoint<0> shifted_scale = FixedPoint<0>::from_raw(
        get_reciprocal(sum_of_exps.raw, kAccumulationIntegerBits, &num_bits_over_unit));
    // TFLite CHECKs exponent <= 31 (it fails for rows summing to >= 512 after exp); clamping
    // keeps the shift defined there instead of aborting.
    const int exponent = num_bits_over_unit + 31 - 8 < 31 ? num_bits_over_unit + 31 - 8 : 31;

    for (std::int32_t c = 0; c < depth; ++c) {
      const std::int32_t input_diff = in[c] - max_in_row;
      if (input_diff >= p.diff_min) {
        const std::int32_t unsat = rounding_divide_by_pot(
            (shifted_scale * exp_of_difference(p, input_diff)).raw, exponent);
        out[c] = static_cast<std::int8_t>(clamp_s32(unsat - 128, -128, 127));
      } else {
        out[c] = -128;
      }
    }
  }
}

std::int32_t softmax_s8_scratch_bytes(const SoftmaxS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
