#include "engine/kernels/device/tanh.h"

namespace tinyscale::device {

void tanh_s8(const TanhS8Params& p, const std::int8_t* input, std::int8_t* output,
             std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    output[i] = fixed_point_activation_s8(
        p, input[i],
        [](FixedPoint<kFixedPointActivationInputBits> x) { return fixed_point_tanh(x); },
        /*output_fraction_bits=*/7, /*output_offset=*/0);
  }
}

std::int32_t tanh_s8_scratch_bytes(const TanhS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
