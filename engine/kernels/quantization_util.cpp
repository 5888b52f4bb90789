#include "engine/kernels/quantization_util.h"

#include <algorithm>
#include <cmath>

#include "core/ops.h"
#include "engine/kernels/fixed_point_activation.h"

namespace tinyscale::engine {

void quantize_multiplier(double real_multiplier, std::int32_t* multiplier, int* shift) {
  if (real_multiplier == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  const double q = std::frexp(real_multiplier, shift);
  auto q_fixed =
      static_cast<std::int64_t>(std::round(q * static_cast<double>(std::int64_t{1} << 31)));
  if (q_fixed == (std::int64_t{1} << 31)) {  // q rounded up to 1.0
    q_fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {  // everything would be shifted out: flush to zero
    *shift = 0;
    q_fixed = 0;
  }
  *multiplier = static_cast<std::int32_t>(q_fixed);
}

bool quantize_multiplier_smaller_than_one_exp(double real_multiplier, std::int32_t* multiplier,
                                              int* left_shift) {
  if (!(real_multiplier > 0.0 && real_multiplier < 1.0)) return false;
  quantize_multiplier(real_multiplier, multiplier, left_shift);
  return *left_shift <= 0;
}

bool quantize_multiplier_greater_than_one(double real_multiplier, std::int32_t* multiplier,
                                          int* left_shift) {
  if (!(real_multiplier > 1.0)) return false;
  quantize_multiplier(real_multiplier, multiplier, left_shift);
  return *left_shift >= 0;
}

bool preprocess_softmax_scaling(double beta, double input_scale, int input_integer_bits,
                                std::int32_t* multiplier, int* left_shift) {
  // Capping is harmless: such a multiplier already rounds every non-maximal exp() to zero.
  const double max_real_multiplier = static_cast<double>((std::int64_t{1} << 31) - 1);
  const double real =
      std::min<double>(beta * input_scale * static_cast<double>(1 << (31 - input_integer_bits)),
                       max_real_multiplier);
  return quantize_multiplier_greater_than_one(real, multiplier, left_shift);
}

int calculate_input_radius(int input_integer_bits, int input_left_shift, int total_signed_bits) {
  const double max_input_rescaled =
      1.0 * ((1 << input_integer_bits) - 1) *
      static_cast<double>(std::int64_t{1} << (total_signed_bits - input_integer_bits)) /
      static_cast<double>(std::int64_t{1} << input_left_shift);
  return static_cast<int>(std::floor(max_input_rescaled));
}

std::int16_t down_scale_int32_to_int16_multiplier(std::int32_t multiplier) {
  constexpr std::int32_t kRoundingOffset = 1 << 15;
  if (multiplier >= std::numeric_limits<std::int32_t>::max() - kRoundingOffset) {
    return std::numeric_limits<std::int16_t>::max();
  }
  return static_cast<std::int16_t>((multiplier + kRoundingOffset) >> 16);
}

std::int32_t quantize_value(float value, float scale, std::int32_t zero_point) {
  const float q = std::round(value / scale);
  const float limit = 2147483520.0f;  // largest float below 2^31: keeps the cast defined
  return zero_point + static_cast<std::int32_t>(std::clamp(q, -limit, limit));
}

void activation_range_int8(core::FusedActivation activation, float scale, std::int32_t zero_point,
                           std::int32_t* act_min, std::int32_t* act_max) {
  constexpr std::int32_t kQmin = std::numeric_limits<std::int8_t>::min();
  constexpr std::int32_t kQmax = std::numeric_limits<std::int8_t>::max();
  *act_min = kQmin;
  *act_max = kQmax;
  switch (activation) {
    case core::FusedActivation::none:
      break;
    case core::FusedActivation::relu:
      *act_min = std::max(kQmin, quantize_value(0.0f, scale, zero_point));
      break;
    case core::FusedActivation::relu6:
      *act_min = std::max(kQmin, quantize_value(0.0f, scale, zero_point));
      *act_max = std::min(kQmax, quantize_value(6.0f, scale, zero_point));
      break;
  }
}

void activation_range_float(core::FusedActivation activation, float* act_min, float* act_max) {
  *act_min = std::numeric_limits<float>::lowest();
  *act_max = std::numeric_limits<float>::max();
  switch (activation) {
    case core::FusedActivation::none:
      break;
    case core::FusedActivation::relu:
      *act_min = 0.0f;
      break;
    case core::FusedActivation::relu6:
      *act_min = 0.0f;
      *act_max = 6.0f;
      break;
  }
}

// ---- prepare-time checks

namespace {
const char* op_label(const NodeContext& ctx) { return core::op_name(ctx.node->op); }
const char* node_label(const NodeContext& ctx) { return ctx.node->name.c_str(); }

// "1x8x8x3" into a fixed buffer (prepare must not allocate, even on its error path).
struct ShapeText {
  char text[96] = {};
  explicit ShapeText(const core::Shape& shape) {
    std::size_t used = 0;
    for (std::size_t i = 0; i < shape.size() && used + 24 < sizeof(text); ++i) {
      const int n = std::snprintf(text + used, sizeof(text) - used, i ? "x%lld" : "%lld",
                                  static_cast<long long>(shape[i]));
      if (n > 0) used += static_cast<std::size_t>(n);
    }
    if (shape.empty()) std::snprintf(text, sizeof(text), "scalar");
  }
};
}  // namespace

Status check_arity(const NodeContext& ctx, int min_inputs, int max_inputs) {
  if (ctx.num_inputs < min_inputs || ctx.num_inputs > max_inputs || ctx.num_outputs != 1) {
    return ctx.fail(Status::invalid_model,
                    "%s '%s': expects %d..%d inputs and 1 output, got %d and %d", op_label(ctx),
                    node_label(ctx), min_inputs, max_inputs, ctx.num_inputs, ctx.num_outputs);
  }
  return Status::ok;
}

Status check_dtype(const NodeContext& ctx, const core::Tensor& t, core::DType dtype) {
  if (t.dtype != dtype) {
    return ctx.fail(Status::unsupported_op, "%s '%s': tensor '%s' must be %s, got %s",
                    op_label(ctx), node_label(ctx), t.name.c_str(), core::dtype_name(dtype),
                    core::dtype_name(t.dtype));
  }
  return Status::ok;
}

Status check_int8_activation(const NodeContext& ctx, const core::Tensor& t) {
  if (Status s = check_dtype(ctx, t, core::DType::int8); s != Status::ok) return s;
  if (!has_per_tensor_quantization(t)) {
    return ctx.fail(Status::invalid_quantization,
                    "%s '%s': int8 tensor '%s' needs one scale and one zero point, got %d and %d",
                    op_label(ctx), node_label(ctx), t.name.c_str(),
                    static_cast<int>(t.quantization.scales.size()),
                    static_cast<int>(t.quantization.zero_points.size()));
  }
  const float scale = scale_of(t);
  const std::int64_t zp = t.quantization.zero_points[0];
  if (!(scale > 0.0f) || !std::isfinite(scale) || zp < -128 || zp > 127) {
    return ctx.fail(
        Status::invalid_quantization,
        "%s '%s': int8 tensor '%s' has scale %g and zero point %lld; expected a positive "
        "finite scale and a zero point in [-128, 127]",
        op_label(ctx), node_label(ctx), t.name.c_str(), static_cast<double>(scale),
        static_cast<long long>(zp));
  }
  return Status::ok;
}

Status check_float32(const NodeContext& ctx, const core::Tensor& t) {
  return check_dtype(ctx, t, core::DType::float32);
}

Status check_same_quantization(const NodeContext& ctx, const core::Tensor& a,
                               const core::Tensor& b) {
  if (scale_of(a) != scale_of(b) || zero_point_of(a) != zero_point_of(b)) {
    return ctx.fail(Status::invalid_quantization,
                    "%s '%s': '%s' (scale %g, zero point %d) and '%s' (scale %g, zero point %d) "
                    "must share quantization",
                    op_label(ctx), node_label(ctx), a.name.c_str(),
                    static_cast<double>(scale_of(a)), zero_point_of(a), b.name.c_str(),
                    static_cast<double>(scale_of(b)), zero_point_of(b));
  }
  return Status::ok;
}

Status prepare_channel_requant(const NodeContext& ctx, float input_scale,
                               const core::Quantization& weight, float output_scale, int channels,
                               ChannelRequant requant) {
  for (int c = 0; c < channels; ++c) {
    const double effective = static_cast<double>(input_scale) *
                             static_cast<double>(weight.scales[static_cast<std::size_t>(c)]) /
                             static_cast<double>(output_scale);
    int shift = 0;
    quantize_multiplier(effective, &requant.multipliers[c], &shift);
    if (shift < -31 || shift > 30) {
      return ctx.fail(Status::invalid_quantization,
                      "%s '%s': requantization scale %g of channel %d is out of range",
                      core::op_name(ctx.node->op), ctx.node->name.c_str(), effective, c);
    }
    requant.shifts[c] = static_cast<std::int8_t>(shift);
  }
  return Status::ok;
}

Status prepare_fixed_point_activation(NodeContext& ctx, float output_scale,
                                      std::int32_t output_zero_point, FixedPointActivationData* d) {
  if (Status s = prepare_unary_size(ctx, &d->size); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  const char* op = core::op_name(ctx.node->op);
  if (scale_of(y) != output_scale || zero_point_of(y) != output_zero_point) {
    return ctx.fail(Status::invalid_quantization,
                    "%s '%s': int8 output '%s' must have scale 1/%d and zero point %d", op,
                    ctx.node->name.c_str(), y.name.c_str(),
                    static_cast<int>(std::lround(1.0 / static_cast<double>(output_scale))),
                    output_zero_point);
  }
  // TFLite takes frexp's mantissa directly (no QuantizeMultiplier carry); a mantissa that
  // rounds to 2^31 would overflow, so it is rejected here.
  const double real = static_cast<double>(scale_of(x)) *
                      static_cast<double>(1 << (31 - kFixedPointActivationInputBits));
  const double q = std::frexp(real, &d->input_left_shift);
  const double mantissa = std::round(q * static_cast<double>(std::int64_t{1} << 31));
  // Below 2^-28 the shift is negative and TFLite Micro's input radius shifts by a negative
  // count (undefined behaviour; on x86 every input saturates): refused, not imitated.
  if (mantissa >= 2147483648.0 || d->input_left_shift > 30 || d->input_left_shift < 0) {
    return ctx.fail(Status::invalid_quantization,
                    "%s '%s': input scale %g is out of range (TFLite Micro's int8 kernel needs "
                    "2^-28 <= scale < 2^3)",
                    op, ctx.node->name.c_str(), static_cast<double>(scale_of(x)));
  }
  d->input_multiplier = static_cast<std::int32_t>(mantissa);
  d->input_range_radius =
      calculate_input_radius(kFixedPointActivationInputBits, d->input_left_shift, 31);
  d->input_zero_point = zero_point_of(x);
  return Status::ok;
}

Status prepare_unary_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  if (Status s = prepare_unary_size(ctx, &ctx.data<std::int64_t>()); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  return check_float32(ctx, *ctx.outputs[0].tensor);
}

Status prepare_unary_size(const NodeContext& ctx, std::int64_t* size) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  if (Status s = check_same_shape(ctx, *ctx.inputs[0].tensor, *ctx.outputs[0].tensor);
      s != Status::ok) {
    return s;
  }
  *size = core::num_elements(ctx.inputs[0].tensor->shape);
  return Status::ok;
}

Status check_same_shape(const NodeContext& ctx, const core::Tensor& a, const core::Tensor& b) {
  if (a.shape != b.shape) {
    return ctx.fail(Status::invalid_model, "%s '%s': '%s' is %s but '%s' is %s", op_label(ctx),
                    node_label(ctx), a.name.c_str(), ShapeText(a.shape).text, b.name.c_str(),
                    ShapeText(b.shape).text);
  }
  return Status::ok;
}

Status check_rank(const NodeContext& ctx, const core::Tensor& t, std::size_t rank) {
  if (t.shape.size() != rank) {
    return ctx.fail(Status::invalid_model, "%s '%s': '%s' must have rank %d, got %s", op_label(ctx),
                    node_label(ctx), t.name.c_str(), static_cast<int>(rank),
                    ShapeText(t.shape).text);
  }
  return Status::ok;
}

Status check_constant_data(const NodeContext& ctx, const TensorRef& ref) {
  const core::Tensor& t = *ref.tensor;
  const auto expected =
      static_cast<std::size_t>(core::num_elements(t.shape) * core::dtype_size(t.dtype));
  const bool sized = t.data.empty() || t.data.size() == expected;
  if (!t.is_constant || ref.data == nullptr || !sized) {
    return ctx.fail(Status::invalid_model,
                    "%s '%s': '%s' must be a constant with %zu bytes of data (has %zu)",
                    op_label(ctx), node_label(ctx), t.name.c_str(), expected, t.data.size());
  }
  return Status::ok;
}

}  // namespace tinyscale::engine
