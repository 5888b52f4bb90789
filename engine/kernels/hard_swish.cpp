// hard_swish: x · relu6(x + 3) / 6 (TFLite HARD_SWISH). int8 follows tflite-micro's
// reference_ops::HardSwish<int8_t> (tensorflow/lite/kernels/internal/reference/hard_swish.h,
// parameters from micro/kernels/hard_swish_common.cc): 16-bit fixed point throughout, the
// input shifted to a "hires" scale (input_scale / 128), a Q0.15 output multiplier and a Q0.15
// "reluish" multiplier mapping [-3, 3] onto [-1, 1], with TFLite's own mix of rounding and
// truncating high multiplies.
// The int8 math is the freestanding device kernel device::hard_swish_s8
// (device/hard_swish.h); this file validates and derives its parameters. The float32
// reference stays host-only.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/device/hard_swish.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct HardSwishInt8Data {
  device::HardSwishS8Params params;
};

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  std::int64_t size = 0;
  if (Status s = prepare_unary_size(ctx, &size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  device::HardSwishS8Params& d = ctx.data<HardSwishInt8Data>().params;
  d.size = static_cast<std::int32_t>(size);
  d.input_zero_point = zero_point_of(x);
  d.output_zero_point = zero_point_of(y);
  // Scale ratios in float, as TFLite computes them.
  const float hires_input_scale = (1.0f / 128.0f) * scale_of(x);
  const float reluish_scale = 3.0f / 32768.0f;
  std::int32_t multiplier = 0;
  int exponent = 0;
  quantize_multiplier(static_cast<double>(hires_input_scale / scale_of(y)), &multiplier, &exponent);
  d.output_multiplier_fixedpoint = down_scale_int32_to_int16_multiplier(multiplier);
  d.output_multiplier_exponent = exponent;
  quantize_multiplier(static_cast<double>(hires_input_scale / reluish_scale), &multiplier,
                      &exponent);
  d.reluish_multiplier_fixedpoint = down_scale_int32_to_int16_multiplier(multiplier);
  d.reluish_multiplier_exponent = exponent;
  if (d.output_multiplier_exponent > 0 || d.output_multiplier_exponent < -31 ||
      d.reluish_multiplier_exponent > 31) {
    return ctx.fail(Status::invalid_quantization,
                    "hard_swish '%s': output scale %g must be at least input scale %g / 128",
                    ctx.node->name.c_str(), static_cast<double>(scale_of(y)),
                    static_cast<double>(scale_of(x)));
  }
  *scratch_bytes = device::hard_swish_s8_scratch_bytes(d);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::hard_swish_s8(ctx.data<HardSwishInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                        ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const float* in = ctx.inputs[0].as<const float>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0, n = ctx.data<std::int64_t>(); i < n; ++i) {
    out[i] = in[i] * std::min(6.0f, std::max(0.0f, in[i] + 3.0f)) / 6.0f;
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kHardSwishInt8{core::OpType::hard_swish,
                                       core::DType::int8,
                                       sizeof(HardSwishInt8Data),
                                       prepare_int8,
                                       eval_int8,
                                       nullptr,
                                       "hard_swish_s8"};
extern const KernelInfo kHardSwishFloat32{core::OpType::hard_swish, core::DType::float32,
                                          sizeof(std::int64_t), prepare_unary_float, eval_float};

}  // namespace tinyscale::engine
