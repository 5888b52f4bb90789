#include "engine/kernels/device/dequantize.h"

namespace tinyscale::device {

void dequantize_s8(const DequantizeS8Params& p, const std::int8_t* input, float* output,
                   std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    output[i] = p.scale * static_cast<float>(input[i] - p.zero_point);
  }
}

std::int32_t dequantize_s8_scratch_bytes(const DequantizeS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
