#include "engine/kernels/device/add.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void add_s8(const AddS8Params& p, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output, std::int8_t* /*scratch*/) {
  broadcast_binary(p.shape, input1, input2, output,
                   [&p](std::int8_t a, std::int8_t b) { return add_s8_value(p, a, b); });
}

std::int32_t add_s8_scratch_bytes(const AddS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
