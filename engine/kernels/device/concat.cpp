#include "engine/kernels/device/concat.h"

#include <cstddef>
#include <cstring>

namespace tinyscale::device {

void concat_s8(const ConcatS8Params& p, const std::int8_t* const* inputs, std::int8_t* output,
               std::int8_t* /*scratch*/) {
  for (std::int32_t o = 0; o < p.outer; ++o) {
    std::int8_t* dst = output + static_cast<std::size_t>(o) * p.output_inner;
    for (std::int32_t k = 0; k < p.num_inputs; ++k) {
      const auto bytes = static_cast<std::size_t>(p.input_inner[k]);
      std::memcpy(dst, inputs[k] + static_cast<std::size_t>(o) * bytes, bytes);
      dst += bytes;
    }
  }
}

std::int32_t concat_s8_scratch_bytes(const ConcatS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
