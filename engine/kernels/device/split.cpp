#include "engine/kernels/device/split.h"

#include <cstddef>
#include <cstring>

namespace tinyscale::device {

void split_s8(const SplitS8Params& p, const std::int8_t* input, std::int8_t* const* outputs,
              std::int8_t* /*scratch*/) {
  const auto bytes = static_cast<std::size_t>(p.part_inner);
  for (std::int32_t o = 0; o < p.outer; ++o) {
    for (std::int32_t k = 0; k < p.num_outputs; ++k) {
      std::memcpy(outputs[k] + static_cast<std::size_t>(o) * bytes, input, bytes);
      input += bytes;
    }
  }
}

std::int32_t split_s8_scratch_bytes(const SplitS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
