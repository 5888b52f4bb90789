#include "engine/kernels/device/fully_connected.h"

#include "engine/kernels/device/fixed_point.h"

namespace tinyscale::device {

void fully_connected_s8(const FullyConnectedS8Params& p, const std::int8_t* input,
                        const std::int8_t* weights, const std::int32_t* bias, std::int8_t* output,
                        std::int8_t* /*scratch*/) {
  const bool per_channel = p.requant_channels > 1;
  for (std::int32_t b = 0; b < p.batches; ++b) {
    const std::int8_t* x = input + b * p.in_features;
    std::int8_t* y = output + b * p.out_features;
    for (std::int32_t o = 0; o < p.out_features; ++o) {
      const std::int8_t* w = weights + o * p.in_features;
      std::int32_t acc = 0;
      if (p.weight_offset == 0) {
        // Symmetric weights, TFLite's int8 scheme: the same sum without adding a zero offset,
        // unrolled so the loop's compare and branch are paid once per four products.
#pragma GCC unroll 4
        for (std::int32_t k = 0; k < p.in_features; ++k) {
          acc += static_cast<std::int32_t>(w[k]) *
                 (static_cast<std::int32_t>(x[k]) + p.input_offset);
        }
      } else {
        for (std::int32_t k = 0; k < p.in_features; ++k) {
          acc += (static_cast<std::int32_t>(w[k]) + p.weight_offset) *
                 (static_cast<std::int32_t>(x[k]) + p.input_offset);
        }
      }
      if (bias) acc = wrapping_add_s32(acc, bias[o]);
      const std::int32_t c = per_channel ? o : 0;
      y[o] = requantize_s8(acc, p.multipliers[c], p.shifts[c], p.output_offset, p.act_min,
                           p.act_max);
    }
  }
}

std::int32_t fully_connected_s8_scratch_bytes(const FullyConnectedS8Params& /*p*/) { return 0; }

}  // namespace tinyscale::device
