#include "engine/kernels/device/mul.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void mul_s8(const MulS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output, std::int8_t* /*scratch*/) {
  broadcast_binary(p.shape, input1, input2, output,
                   [&p](std::int8_t a, std::int8_t b) { return mul_s8_value(p, a, b); });
}

std::int32_t mul_s8_scratch_bytes(const MulS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
