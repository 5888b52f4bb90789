#include "engine/kernels/device/global_avg_pool.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void global_avg_pool_s8(const GlobalAvgPoolS8Params& p, const std::int8_t* input,
                        std::int8_t* output, std::int8_t* /*scratch*/) {
  const std::int32_t count = p.height * p.width;
  // int32 wrap-around as in TFLite Micro (its sum and this difference are int32 there too).
  const std::uint32_t zero_point_sum =
      static_cast<std::uint32_t>(p.input_zero_point) * static_cast<std::uint32_t>(count);
  for (std::int32_t b = 0; b < p.batches; ++b) {
    const std::int8_t* batch_input = input + b * count * p.channels;
    for (std::int32_t c = 0; c < p.channels; ++c) {
      std::int32_t sum = 0;
      for (std::int32_t i = 0; i < count; ++i) sum += batch_input[i * p.channels + c];
      const auto centred =
          static_cast<std::int32_t>(static_cast<std::uint32_t>(sum) - zero_point_sum);
      const std::int32_t acc =
          multiply_by_quantized_multiplier(centred, p.multiplier, p.shift) + p.output_zero_point;
      output[b * p.channels + c] = static_cast<std::int8_t>(clamp_s32(acc, -128, 127));
    }
  }
}

std::int32_t global_avg_pool_s8_scratch_bytes(const GlobalAvgPoolS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
