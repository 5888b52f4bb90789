#include "engine/kernels/device/reshape.h"

#include <cstring>

namespace tinyscale::device {

void reshape_s8(const ReshapeS8Params& p, const std::int8_t* input, std::int8_t* output,
                std::int8_t* /*scratch*/) {
  if (output != input) std::memmove(output, input, static_cast<std::size_t>(p.bytes));
}

std::int32_t reshape_s8_scratch_bytes(const ReshapeS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
