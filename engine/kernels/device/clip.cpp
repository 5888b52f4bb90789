#include "engine/kernels/device/clip.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void clip_s8(const ClipS8Params& p, const std::int8_t* input, std::int8_t* output,
             std::int8_t* /*scratch*/) {
  for (std::int32_t i = 0; i < p.size; ++i) {
    output[i] = static_cast<std::int8_t>(clamp_s32(input[i], p.lower, p.upper));
  }
}

std::int32_t clip_s8_scratch_bytes(const ClipS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
