#include "engine/kernels/device/relu.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void relu_s8(const ReluS8Params& p, const std::int8_t* input, std::int8_t* output,
             std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    output[i] = requantize_s8(input[i] - p.input_zero_point, p.multiplier, p.shift,
                              p.output_zero_point, p.act_min, p.act_max);
  }
}

std::int32_t relu_s8_scratch_bytes(const ReluS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
