#include "engine/kernels/device/leaky_relu.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void leaky_relu_s8(const LeakyReluS8Params& p, const std::int8_t* input, std::int8_t* output,
                   std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    const std::int32_t v = input[i] - p.input_zero_point;
    const std::int32_t scaled =
        v >= 0 ? multiply_by_quantized_multiplier(v, p.identity_multiplier, p.identity_shift)
               : multiply_by_quantized_multiplier(v, p.alpha_multiplier, p.alpha_shift);
    output[i] = static_cast<std::int8_t>(clamp_s32(p.output_zero_point + scaled, -128, 127));
  }
}

std::int32_t leaky_relu_s8_scratch_bytes(const LeakyReluS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
