#include "engine/kernels/device/global_avg_pool_fast.h"

#include "engine/kernels/device/dsp.h"
#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {
namespace {

std::int32_t low_lane(std::uint32_t v) {
  return static_cast<std::int32_t>(static_cast<std::int16_t>(v & 0xFFFFu));
}
std::int32_t high_lane(std::uint32_t v) { return static_cast<std::int32_t>(v) >> 16; }

}  // namespace

void global_avg_pool_s8_fast(const GlobalAvgPoolS8Params& params, const std::int8_t* input,
                             std::int8_t* output, std::int8_t* /*scratch*/) {
  const GlobalAvgPoolS8Params p = params;  // a local: the output stores may alias the params
  const std::int32_t count = p.height * p.width;
  const std::int32_t c = p.channels;
  // int32 wrap-around as in global_avg_pool_s8 (and TFLite Micro).
  const std::uint32_t zero_point_sum =
      static_cast<std::uint32_t>(p.input_zero_point) * static_cast<std::uint32_t>(count);
  auto store = [&](std::int8_t* out, std::int32_t sum) {
    const auto centred =
        static_cast<std::int32_t>(static_cast<std::uint32_t>(sum) - zero_point_sum);
    const std::int32_t acc =
        multiply_by_quantized_multiplier(centred, p.multiplier, p.shift) + p.output_zero_point;
    *out = static_cast<std::int8_t>(clamp_s32(acc, -128, 127));
  };
  for (std::int32_t b = 0; b < p.batches; ++b) {
    const std::int8_t* batch_input = input + b * count * c;
    std::int8_t* out = output + b * c;
    std::int32_t ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      std::int32_t sums[4] = {0, 0, 0, 0};  // channels ch .. ch + 3
      const std::int8_t* at = batch_input + ch;
      for (std::int32_t done = 0; done < count;) {
        const std::int32_t block = count - done < 256 ? count - done : 256;
        std::uint32_t even = 0, odd = 0;  // lanes (ch, ch + 2) and (ch + 1, ch + 3)
        for (std::int32_t i = 0; i < block; ++i, at += c) {
          const std::uint32_t w = dsp::load_word(at);
          even = dsp::sxtab16(even, w);
          odd = dsp::sxtab16_ror8(odd, w);
        }
        sums[0] += low_lane(even);
        sums[1] += low_lane(odd);
        sums[2] += high_lane(even);
        sums[3] += high_lane(odd);
        done += block;
      }
      for (int k = 0; k < 4; ++k) store(out + ch + k, sums[k]);
    }
    for (; ch < c; ++ch) {
      std::int32_t sum = 0;
      for (std::int32_t i = 0; i < count; ++i) sum += batch_input[i * c + ch];
      store(out + ch, sum);
    }
  }
}

std::int32_t global_avg_pool_s8_fast_scratch_bytes(const GlobalAvgPoolS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
