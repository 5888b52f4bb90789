// global_avg_pool: TFLite MEAN over H and W with keep_dims ([N,H,W,C] → [N,1,1,C]).
// int8 follows tflite-micro's special case for 4-D mean over axes 1 and 2 with keep_dims,
// reference_integer_ops::Mean (tensorflow/lite/kernels/internal/reference/integer_ops/mean.h,
// dispatched from micro/kernels/reduce_common.cc whatever the quantizations): sum of
// (q - input_zp), × input_scale / output_scale via MultiplyByQuantizedMultiplier, then an
// integer division by H·W rounded half away from zero, + output_zp.
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
  std::int32_t input_zero_point, output_zero_point, multiplier;
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
  quantize_multiplier(static_cast<double>(scale_of(x)) / static_cast<double>(scale_of(y)),
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
  std::int32_t term(std::int8_t q) const { return q - d.input_zero_point; }
  std::int8_t operator()(std::int32_t sum) const {
    const std::int32_t count = d.geometry.height * d.geometry.width;
    std::int32_t acc = multiply_by_quantized_multiplier(sum, d.multiplier, d.shift);
    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    return static_cast<std::int8_t>(std::clamp<std::int32_t>(acc + d.output_zero_point, -128, 127));
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
