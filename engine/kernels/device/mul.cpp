#include "engine/kernels/device/mul.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void mul_s8(const MulS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output, std::int8_t* /*scratch*/) {
  broadcast_binary(p.shape, input1, input2, output, [&p](std::int8_t a, std::int8_t b) {
    const std::int32_t product = (p.input1_offset + a) * (p.input2_offset + b);
    const std::int32_t raw =
        p.output_offset +
        multiply_by_quantized_multiplier(product, p.output_multiplier, p.output_shift);
    return static_cast<std::int8_t>(clamp_s32(raw, p.act_min, p.act_max));
  });
}

std::int32_t mul_s8_scratch_bytes(const MulS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
