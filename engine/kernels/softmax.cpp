// softmax: TFLite SOFTMAX over the last axis, with beta (attrs.softmax_beta).
// int8 follows tflite-micro's reference_ops::Softmax<int8_t, int8_t>
// (tensorflow/lite/kernels/internal/reference/softmax.h) with the parameters of
// micro/kernels/softmax_common.cc: input differences to the row maximum are scaled by
// beta × input_scale into Q5.26 (PreprocessSoftmaxScaling), those below diff_min
// (CalculateInputRadius) contribute nothing, exp() is gemmlowp's fixed-point
// exp_on_negative_values, the sum is Q12.19 and its reciprocal comes from GetReciprocal.
// The int8 output must be scale 1/256, zero point -128.
// The int8 math is the freestanding device kernel device::softmax_s8 (device/softmax.h); the
// float32 reference stays host-only.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/kernels/device/softmax.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kScaledDiffIntegerBits = 5;  // as device/softmax.cpp

struct SoftmaxRows {
  std::int64_t rows;
  int depth;
};

struct SoftmaxFloatData {
  SoftmaxRows shape;
  float beta;
};

void softmax_float_reference(const SoftmaxFloatData& p, const float* input, float* output) {
  const int depth = p.shape.depth;
  for (std::int64_t r = 0; r < p.shape.rows; ++r) {
    const float* in = input + r * depth;
    float* out = output + r * depth;
    const float max = *std::max_element(in, in + depth);
    float sum = 0.0f;
    for (int c = 0; c < depth; ++c) {
      out[c] = std::exp((in[c] - max) * p.beta);
      sum += out[c];
    }
    for (int c = 0; c < depth; ++c) out[c] = out[c] / sum;
  }
}

Status prepare_rows(NodeContext& ctx, SoftmaxRows* rows) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_same_shape(ctx, x, y); s != Status::ok) return s;
  const int rank = static_cast<int>(x.shape.size());
  const int axis = ctx.node->attrs.axis < 0 ? ctx.node->attrs.axis + rank : ctx.node->attrs.axis;
  if (rank < 1 || axis != rank - 1 || x.shape.back() < 1) {
    return ctx.fail(
        Status::unsupported_op,
        "softmax '%s': only the last axis is supported (TFLite SOFTMAX), got axis %d of rank %d",
        ctx.node->name.c_str(), ctx.node->attrs.axis, rank);
  }
  rows->depth = static_cast<int>(x.shape.back());
  rows->rows = core::num_elements(x.shape) / rows->depth;
  return Status::ok;
}

// op_data is the device params (the device kernel contract).
Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  auto& p = ctx.data<device::SoftmaxS8Params>();
  SoftmaxRows rows{};
  if (Status s = prepare_rows(ctx, &rows); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (scale_of(y) != 1.0f / 256 || zero_point_of(y) != -128) {
    return ctx.fail(Status::invalid_quantization,
                    "softmax '%s': int8 output '%s' must have scale 1/256 and zero point -128, got "
                    "%g and %d",
                    ctx.node->name.c_str(), y.name.c_str(), static_cast<double>(scale_of(y)),
                    zero_point_of(y));
  }
  if (core::num_elements(x.shape) > INT32_MAX) {
    return ctx.fail(Status::invalid_model, "softmax '%s': more than 2^31 elements",
                    ctx.node->name.c_str());
  }
  p.rows = static_cast<std::int32_t>(rows.rows);
  p.depth = rows.depth;
  const double beta = static_cast<double>(ctx.node->attrs.softmax_beta);
  int left_shift = 0;
  if (!preprocess_softmax_scaling(beta, static_cast<double>(scale_of(x)), kScaledDiffIntegerBits,
                                  &p.input_beta_multiplier, &left_shift)) {
    return ctx.fail(Status::invalid_quantization,
                    "softmax '%s': beta %g × input scale %g is too small to quantize",
                    ctx.node->name.c_str(), beta, static_cast<double>(scale_of(x)));
  }
  p.input_beta_left_shift = left_shift;
  p.diff_min = -calculate_input_radius(kScaledDiffIntegerBits, left_shift);
  *scratch_bytes = device::softmax_s8_scratch_bytes(p);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::softmax_s8(ctx.data<device::SoftmaxS8Params>(), ctx.inputs[0].as<const std::int8_t>(),
                     ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<SoftmaxFloatData>();
  if (Status s = prepare_rows(ctx, &d.shape); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.outputs[0].tensor); s != Status::ok) return s;
  d.beta = ctx.node->attrs.softmax_beta;
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  softmax_float_reference(ctx.data<SoftmaxFloatData>(), ctx.inputs[0].as<const float>(),
                          ctx.outputs[0].as<float>());
  return Status::ok;
}

}  // namespace

extern const KernelInfo kSoftmaxInt8{core::OpType::softmax,
                                     core::DType::int8,
                                     sizeof(device::SoftmaxS8Params),
                                     prepare_int8,
                                     eval_int8,
                                     nullptr,
                                     "softmax_s8"};
extern const KernelInfo kSoftmaxFloat32{core::OpType::softmax, core::DType::float32,
                                        sizeof(SoftmaxFloatData), prepare_float, eval_float};

}  // namespace tinyscale::engine
