#include "engine/kernels/device/sigmoid.h"

namespace tinyscale::device {

void sigmoid_s8(const SigmoidS8Params& p, const std::int8_t* input, std::int8_t* output,
                std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    output[i] = fixed_point_activation_s8(
        p, input[i],
        [](FixedPoint<kFixedPointActivationInputBits> x) { return fixed_point_logistic(x); },
        /*output_fraction_bits=*/8, /*output_offset=*/-128);
  }
}

std::int32_t sigmoid_s8_scratch_bytes(const SigmoidS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
