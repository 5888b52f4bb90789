// What the host LOGISTIC and TANH kernels share (tflite-micro's logistic_common.cc and
// tanh.cc parameter derivation): the input rescaling into Q4.27 and the input radius beyond
// which the output saturates. The math itself is the device kernels' (sigmoid_s8, tanh_s8 in
// engine/kernels/device/, over device/fixed_point_activation.h).
//
// Usage (sigmoid.cpp prepare):
//   FixedPointActivationData d;
//   if (Status s = prepare_fixed_point_activation(ctx, 1.0f / 256, -128, &d); ...) return s;
//   ctx.data<device::SigmoidS8Params>() = device_params(d);
#pragma once

#include <cstdint>

#include "engine/kernels/device/fixed_point_activation.h"
#include "engine/kernels/kernel.h"

namespace tinyscale::engine {

inline constexpr int kFixedPointActivationInputBits = device::kFixedPointActivationInputBits;

struct FixedPointActivationData {
  std::int64_t size;
  std::int32_t input_zero_point, input_range_radius, input_multiplier;
  int input_left_shift;
};

// Checks the node (one int8 input, same-shaped int8 output with the fixed output
// quantization the op requires) and derives the input rescaling.
Status prepare_fixed_point_activation(NodeContext& ctx, float output_scale,
                                      std::int32_t output_zero_point, FixedPointActivationData* d);

// The device params of a prepared node (its size checked with check_device_size).
inline device::FixedPointActivationS8Params device_params(const FixedPointActivationData& d) {
  return {static_cast<std::int32_t>(d.size), d.input_zero_point, d.input_range_radius,
          d.input_multiplier, d.input_left_shift};
}

}  // namespace tinyscale::engine
