// global_avg_pool: TFLite MEAN over H and W with keep_dims ([N,H,W,C] → [N,1,1,C]).
// int8 follows TFLite Micro (tflite-micro 90b983c2, micro/kernels/reduce_common.cc), which
// sends every int8 MEAN, whatever its quantizations, through reference_ops::QuantizedMeanOrSum
// (kernels/internal/reference/reduce.h):
//   prepare  (multiplier, shift) = QuantizeMultiplier(input_scale / output_scale); the 1/N
//            of the mean (N = H·W) is folded in: k = min(floor(log2 N), 32, 31 + shift),
//            multiplier' = (multiplier << k) / N (int64, truncating), shift' = shift - k.
//   eval     out = MultiplyByQuantizedMultiplier(Σq - input_zp·N, multiplier', shift')
//            + output_zp, clamped to int8.
// (The older integer Mean, reference_integer_ops::Mean, rescales the sum first and then
// divides by N with rounding; the two differ by a step on some inputs.) TFLite Micro does
// this arithmetic at eval; here it is done once in prepare, with the same integers.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct MeanGeometry {
  int batches, height, width, channels;
};

struct MeanInt8Data {
  MeanGeometry geometry;
  std::int32_t input_zero_point, output_zero_point;
  std::int32_t multiplier;  // input_scale / output_scale / N, TFLite Micro's folding
  int shift;
};

template <typename T, typename Acc, typename Finish>
void mean_hw_reference(const MeanGeometry& g, const T* input, T* output, Finish&& finish) {
  for (int b = 0; b < g.batches; ++b) {
    for (int c = 0; c < g.channels; ++c) {
      Acc sum = 0;
      for (int y = 0; y < g.height; ++y) {
        for (int x = 0; x < g.width; ++x) {
          sum += finish.term(
              input[((static_cast<std::int64_t>(b) * g.height + y) * g.width + x) * g.channels +
                    c]);
        }
      }
      output[static_cast<std::int64_t>(b) * g.channels + c] = finish(sum);
    }
  }
}

// QuantizedMeanOrSum's folding of 1/count into (multiplier, shift), which it does before
// its output loop: a left shift by k = floor(log2 count) keeps the quotient's precision (at
// most 32, so the int64 does not overflow, and at most 31 + shift, so the final shift stays
// >= -31 as MultiplyByQuantizedMultiplier requires).
void fold_mean_divisor(std::int32_t multiplier, int shift, std::int64_t count,
                       std::int32_t* folded_multiplier, int* folded_shift) {
  int k = 0;
  while ((count >> (k + 1)) != 0) ++k;  // 63 - CountLeadingZeros(count)
  k = std::min(k, 32);
  k = std::min(k, 31 + shift);
  *folded_multiplier =
      static_cast<std::int32_t>((static_cast<std::int64_t>(multiplier) << k) / count);
  *folded_shift = shift - k;
}

Status prepare_geometry(NodeContext& ctx, MeanGeometry* g) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_rank(ctx, x, 4); s != Status::ok) return s;
  if (y.shape != core::Shape{x.shape[0], 1, 1, x.shape[3]}) {
    return ctx.fail(Status::invalid_model, "global_avg_pool '%s': output must be [%lld,1,1,%lld]",
                    ctx.node->name.c_str(), static_cast<long long>(x.shape[0]),
                    static_cast<long long>(x.shape[3]));
  }
  *g = {static_cast<int>(x.shape[0]), static_cast<int>(x.shape[1]), static_cast<int>(x.shape[2]),
        static_cast<int>(x.shape[3])};
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<MeanInt8Data>();
  if (Status s = prepare_geometry(ctx, &d.geometry); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (d.geometry.height < 1 || d.geometry.width < 1) {
    return ctx.fail(Status::invalid_model, "global_avg_pool '%s': empty %dx%d input",
                    ctx.node->name.c_str(), d.geometry.height, d.geometry.width);
  }
  std::int32_t multiplier = 0;
  int shift = 0;
  quantize_multiplier(static_cast<double>(scale_of(x)) / static_cast<double>(scale_of(y)),
                      &multiplier, &shift);
  fold_mean_divisor(multiplier, shift, std::int64_t{d.geometry.height} * d.geometry.width,
                    &d.multiplier, &d.shift);
  if (d.shift > 30) {
    return ctx.fail(Status::invalid_quantization,
                    "global_avg_pool '%s': input/output scale ratio too large",
                    ctx.node->name.c_str());
  }
  d.input_zero_point = zero_point_of(x);
  d.output_zero_point = zero_point_of(y);
  return Status::ok;
}

struct MeanInt8Finish {
  const MeanInt8Data& d;
  std::int32_t term(std::int8_t q) const { return q; }
  std::int8_t operator()(std::int32_t sum) const {
    const std::int32_t count = d.geometry.height * d.geometry.width;
    // int32 wrap-around as in TFLite Micro (its sum and this difference are int32 there too).
    const auto centred = static_cast<std::int32_t>(
        static_cast<std::uint32_t>(sum) -
        static_cast<std::uint32_t>(std::int64_t{d.input_zero_point} * count));
    const std::int32_t acc =
        multiply_by_quantized_multiplier(centred, d.multiplier, d.shift) + d.output_zero_point;
    return static_cast<std::int8_t>(std::clamp<std::int32_t>(acc, -128, 127));
  }
};

Status eval_int8(const NodeContext& ctx) {
  const auto& d = ctx.data<MeanInt8Data>();
  mean_hw_reference<std::int8_t, std::int32_t>(d.geometry, ctx.inputs[0].as<const std::int8_t>(),
                                               ctx.outputs[0].as<std::int8_t>(), MeanInt8Finish{d});
  return Status::ok;
}

struct MeanFloatFinish {
  float count;
  float term(float v) const { return v; }
  float operator()(float sum) const { return sum / count; }
};

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& g = ctx.data<MeanGeometry>();
  if (Status s = prepare_geometry(ctx, &g); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  return check_float32(ctx, *ctx.outputs[0].tensor);
}

Status eval_float(const NodeContext& ctx) {
  const auto& g = ctx.data<MeanGeometry>();
  mean_hw_reference<float, float>(g, ctx.inputs[0].as<const float>(), ctx.outputs[0].as<float>(),
                                  MeanFloatFinish{static_cast<float>(g.height * g.width)});
  return Status::ok;
}

}  // namespace

extern const KernelInfo kGlobalAvgPoolInt8{core::OpType::global_avg_pool, core::DType::int8,
                                           sizeof(MeanInt8Data), prepare_int8, eval_int8};
extern const KernelInfo kGlobalAvgPoolFloat32{core::OpType::global_avg_pool, core::DType::float32,
                                              sizeof(MeanGeometry), prepare_float, eval_float};

}  // namespace tinyscale::engine
