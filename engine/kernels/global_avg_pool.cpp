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
// The int8 math is the freestanding device kernel device::global_avg_pool_s8
// (device/global_avg_pool.h); the float32 reference stays host-only.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/device/global_avg_pool.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct MeanGeometry {
  int batches, height, width, channels;
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

// op_data is the device params (the device kernel contract).
Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  auto& p = ctx.data<device::GlobalAvgPoolS8Params>();
  MeanGeometry g{};
  if (Status s = prepare_geometry(ctx, &g); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (g.height < 1 || g.width < 1) {
    return ctx.fail(Status::invalid_model, "global_avg_pool '%s': empty %dx%d input",
                    ctx.node->name.c_str(), g.height, g.width);
  }
  if (core::num_elements(x.shape) > INT32_MAX) {
    return ctx.fail(Status::invalid_model, "global_avg_pool '%s': more than 2^31 elements",
                    ctx.node->name.c_str());
  }
  std::int32_t multiplier = 0;
  int shift = 0;
  quantize_multiplier(static_cast<double>(scale_of(x)) / static_cast<double>(scale_of(y)),
                      &multiplier, &shift);
  int folded_shift = 0;
  fold_mean_divisor(multiplier, shift, std::int64_t{g.height} * g.width, &p.multiplier,
                    &folded_shift);
  if (folded_shift > 30) {
    return ctx.fail(Status::invalid_quantization,
                    "global_avg_pool '%s': input/output scale ratio too large",
                    ctx.node->name.c_str());
  }
  p.batches = g.batches;
  p.height = g.height;
  p.width = g.width;
  p.channels = g.channels;
  p.shift = folded_shift;
  p.input_zero_point = zero_point_of(x);
  p.output_zero_point = zero_point_of(y);
  *scratch_bytes = device::global_avg_pool_s8_scratch_bytes(p);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::global_avg_pool_s8(ctx.data<device::GlobalAvgPoolS8Params>(),
                             ctx.inputs[0].as<const std::int8_t>(),
                             ctx.outputs[0].as<std::int8_t>(),
                             static_cast<std::int8_t*>(ctx.scratch));
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

extern const KernelInfo kGlobalAvgPoolInt8{core::OpType::global_avg_pool,
                                           core::DType::int8,
                                           sizeof(device::GlobalAvgPoolS8Params),
                                           prepare_int8,
                                           eval_int8,
                                           nullptr,
                                           "global_avg_pool_s8"};
extern const KernelInfo kGlobalAvgPoolFloat32{core::OpType::global_avg_pool, core::DType::float32,
                                              sizeof(MeanGeometry), prepare_float, eval_float};

}  // namespace tinyscale::engine
