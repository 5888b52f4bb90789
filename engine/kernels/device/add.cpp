#include "engine/kernels/device/add.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void add_s8(const AddS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output, std::int8_t* /*scratch*/) {
  broadcast_binary(p.shape, input1, input2, output, [&p](std::int8_t a, std::int8_t b) {
    const std::int32_t shifted1 = (p.input1_offset + a) * (1 << kAddLeftShift);
    const std::int32_t shifted2 = (p.input2_offset + b) * (1 << kAddLeftShift);
    const std::int32_t scaled1 = multiply_by_quantized_multiplier_smaller_than_one_exp(
        shifted1, p.input1_multiplier, p.input1_shift);
    const std::int32_t scaled2 = multiply_by_quantized_multiplier_smaller_than_one_exp(
        shifted2, p.input2_multiplier, p.input2_shift);
    const std::int32_t raw = multiply_by_quantized_multiplier_smaller_than_one_exp(
                                 scaled1 + scaled2, p.output_multiplier, p.output_shift) +
                             p.output_offset;
    return static_cast<std::int8_t>(clamp_s32(raw, p.act_min, p.act_max));
  });
}

std::int32_t add_s8_scratch_bytes(const AddS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
