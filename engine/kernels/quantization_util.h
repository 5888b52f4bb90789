// Fixed-point arithmetic of the int8 kernels, bit-compatible with TensorFlow Lite Micro's
// reference kernels (tensorflow/lite/kernels/internal/{common.h,quantization_util.cc} and
// gemmlowp's fixedpoint/fixedpoint.h, double-rounding build: TFLITE_SINGLE_ROUNDING off).
//
//   prepare time   quantize_multiplier(real) -> (multiplier in [2^30, 2^31), shift) and the
//                  softmax / logistic / tanh input scalings, activation ranges. Uses double.
//   eval time      multiply_by_quantized_multiplier(x, multiplier, shift) =
//                  rounding_divide_by_pot(srdhm(x << max(shift, 0), multiplier), max(-shift, 0))
//                  and the gemmlowp FixedPoint<IntegerBits> exp / logistic / tanh / reciprocal.
//
// Usage:
//   std::int32_t m; int shift;
//   quantize_multiplier(input_scale * weight_scale / output_scale, &m, &shift);   // prepare
//   acc = multiply_by_quantized_multiplier(acc, m, shift) + output_zero_point;     // eval
//
// The prepare-time tensor checks at the bottom are the glue every kernel shares (dtype,
// per-tensor quantization, equal shapes), each writing one line into ctx.error.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/graph.h"
#include "engine/kernels/device/fixed_point.h"
#include "engine/kernels/kernel.h"

namespace tinyscale::engine {

// ---------------------------------------------------------------------------------------
// Eval-time fixed-point arithmetic: one implementation, freestanding, in
// engine/kernels/device/fixed_point.h (the device kernels and firmware use it); re-exported
// here for the host glue.

using device::exact_mul_by_pot;
using device::exp_on_interval_between_negative_one_quarter_and_0_excl;
using device::exp_on_negative_values;
using device::fixed_point_logistic;
using device::fixed_point_tanh;
using device::FixedPoint;
using device::get_reciprocal;
using device::multiply_by_quantized_multiplier;
using device::multiply_by_quantized_multiplier_greater_than_one;
using device::multiply_by_quantized_multiplier_smaller_than_one_exp;
using device::newton_raphson_half_reciprocal;
using device::one_minus_x_over_one_plus_x_for_x_in_0_1;
using device::one_over_one_plus_x_for_x_in_0_1;
using device::rescale;
using device::rounding_divide_by_pot;
using device::rounding_half_sum;
using device::saturating_rounding_doubling_high_mul;
using device::saturating_rounding_multiply_by_pot;

// ---------------------------------------------------------------------------------------
// Prepare-time helpers (double precision; never called from eval).

// real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) (or 0 for real == 0; shifts
// below -31 flush to 0). Frexp-based, as TFLite's QuantizeMultiplier.
void quantize_multiplier(double real_multiplier, std::int32_t* multiplier, int* shift);
// As above, returning false when real is not in (0, 1) / not > 1 (TFLite TFLITE_CHECKs).
bool quantize_multiplier_smaller_than_one_exp(double real_multiplier, std::int32_t* multiplier,
                                              int* left_shift);
bool quantize_multiplier_greater_than_one(double real_multiplier, std::int32_t* multiplier,
                                          int* left_shift);
// Softmax's beta * input_scale scaling into Q(input_integer_bits) (TFLite
// PreprocessSoftmaxScaling).
bool preprocess_softmax_scaling(double beta, double input_scale, int input_integer_bits,
                                std::int32_t* multiplier, int* left_shift);
// Largest input magnitude that does not saturate after the input rescaling.
int calculate_input_radius(int input_integer_bits, int input_left_shift,
                           int total_signed_bits = 31);
// Rounds a Q0.31 multiplier to Q0.15 (TFLite DownScaleInt32ToInt16Multiplier).
std::int16_t down_scale_int32_to_int16_multiplier(std::int32_t multiplier);

// zero_point + round(value / scale), as TFLite's kernel_util Quantize (float division).
std::int32_t quantize_value(float value, float scale, std::int32_t zero_point);

// The int8 clamp range of a fused activation on an output with (scale, zero_point)
// (TFLite CalculateActivationRangeQuantized).
void activation_range_int8(core::FusedActivation activation, float scale, std::int32_t zero_point,
                           std::int32_t* act_min, std::int32_t* act_max);
void activation_range_float(core::FusedActivation activation, float* act_min, float* act_max);

// ---------------------------------------------------------------------------------------
// Prepare-time tensor checks: each returns Status::ok or writes one line into ctx.error
// naming the op, node and tensor.

inline bool has_per_tensor_quantization(const core::Tensor& t) {
  return t.quantization.scales.size() == 1 && t.quantization.zero_points.size() == 1;
}
inline float scale_of(const core::Tensor& t) { return t.quantization.scales[0]; }
inline std::int32_t zero_point_of(const core::Tensor& t) {
  return static_cast<std::int32_t>(t.quantization.zero_points[0]);
}

// Arity: at least `min_inputs`, at most `max_inputs`, exactly one output.
Status check_arity(const NodeContext& ctx, int min_inputs, int max_inputs);
Status check_dtype(const NodeContext& ctx, const core::Tensor& t, core::DType dtype);
// int8 with one positive scale and a zero point in [-128, 127].
Status check_int8_activation(const NodeContext& ctx, const core::Tensor& t);
Status check_float32(const NodeContext& ctx, const core::Tensor& t);
Status check_same_quantization(const NodeContext& ctx, const core::Tensor& a,
                               const core::Tensor& b);
Status check_same_shape(const NodeContext& ctx, const core::Tensor& a, const core::Tensor& b);
// A one-input elementwise op: one input, output shape equal to the input's; `size` = its
// element count.
Status prepare_unary_size(const NodeContext& ctx, std::int64_t* size);
// The whole prepare() of a one-input float32 elementwise kernel: arity, shape, dtypes; the
// element count goes into op_data (op_data_size = sizeof(std::int64_t)).
Status prepare_unary_float(NodeContext& ctx, std::int64_t* scratch_bytes);
// Per-channel requantization of conv2d / fully_connected (TFLM's
// PopulateConvolutionQuantizationParams): for each of `channels` weight scales,
// input_scale · weight_scale / output_scale as a multiplier and shift into `requant`.
Status prepare_channel_requant(const NodeContext& ctx, float input_scale,
                               const core::Quantization& weight, float output_scale, int channels,
                               ChannelRequant requant);

Status check_rank(const NodeContext& ctx, const core::Tensor& t, std::size_t rank);
// A constant whose data the engine handed over (and, when materialized, of the right size).
Status check_constant_data(const NodeContext& ctx, const TensorRef& ref);

}  // namespace tinyscale::engine
