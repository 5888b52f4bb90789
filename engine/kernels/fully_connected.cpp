// fully_connected: TFLite FULLY_CONNECTED. Input [..., K] is read as [batches, K] (the output
// keeps or flattens the leading dims per keep_num_dims; the math is the same), weight [O, K].
// int8 follows tflite-micro's reference_integer_ops::FullyConnected / FullyConnectedPerChannel
// (tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h) with the
// multiplier of GetQuantizedConvolutionMultipler (micro/kernels/fully_connected_common.cc):
// double(input_scale) × double(weight_scale[c]) / double(output_scale).
// The int8 math is the freestanding device kernel device::fully_connected_s8
// (device/fully_connected.h); the float32 reference stays host-only.
#include "engine/kernels/device/fully_connected.h"

#include <algorithm>
#include <cstdint>

#include "engine/kernels/device/fully_connected_fast.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct FcGeometry {
  int batches, in_features, out_features;
  bool has_bias;
};

// op_data begins with the device params; the multipliers and shifts they point at follow:
// see channel_requant().
struct FcInt8Data {
  device::FullyConnectedS8Params params;
};

struct FcFloatData {
  FcGeometry geometry;
  float act_min, act_max;
};

template <typename In, typename Acc, typename Out, typename Finish>
void fully_connected_reference(const FcGeometry& g, const In* input, Acc input_offset,
                               const In* weight, Acc weight_offset, Out* output, Finish&& finish) {
  for (int b = 0; b < g.batches; ++b) {
    const In* x = input + static_cast<std::int64_t>(b) * g.in_features;
    for (int o = 0; o < g.out_features; ++o) {
      const In* w = weight + static_cast<std::int64_t>(o) * g.in_features;
      Acc acc = 0;
      for (int k = 0; k < g.in_features; ++k) {
        acc += (static_cast<Acc>(w[k]) + weight_offset) * (static_cast<Acc>(x[k]) + input_offset);
      }
      output[static_cast<std::int64_t>(b) * g.out_features + o] = finish(acc, o);
    }
  }
}

Status prepare_geometry(NodeContext& ctx, core::DType bias_dtype, FcGeometry* g) {
  if (Status s = check_arity(ctx, 2, 3); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& w = *ctx.inputs[1].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_rank(ctx, w, 2); s != Status::ok) return s;
  if (Status s = check_constant_data(ctx, ctx.inputs[1]); s != Status::ok) return s;
  const char* name = ctx.node->name.c_str();
  const std::int64_t k = w.shape[1];
  const std::int64_t o = w.shape[0];
  const std::int64_t in_elements = core::num_elements(x.shape);
  if (x.shape.empty() || x.shape.back() != k || y.shape.empty() || y.shape.back() != o ||
      core::num_elements(y.shape) != in_elements / k * o) {
    return ctx.fail(Status::invalid_model,
                    "fully_connected '%s': input (last dim %lld) and output (last dim %lld, %lld "
                    "elements) do not fit weight [%lld, %lld]",
                    name, static_cast<long long>(x.shape.empty() ? 0 : x.shape.back()),
                    static_cast<long long>(y.shape.empty() ? 0 : y.shape.back()),
                    static_cast<long long>(core::num_elements(y.shape)), static_cast<long long>(o),
                    static_cast<long long>(k));
  }
  g->has_bias = ctx.num_inputs == 3;
  if (g->has_bias) {
    const core::Tensor& bias = *ctx.inputs[2].tensor;
    if (Status s = check_dtype(ctx, bias, bias_dtype); s != Status::ok) return s;
    if (Status s = check_constant_data(ctx, ctx.inputs[2]); s != Status::ok) return s;
    if (bias.shape != core::Shape{o}) {
      return ctx.fail(Status::invalid_model, "fully_connected '%s': bias must be [%lld]", name,
                      static_cast<long long>(o));
    }
  }
  g->batches = static_cast<int>(in_elements / k);
  g->in_features = static_cast<int>(k);
  g->out_features = static_cast<int>(o);
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  FcGeometry g{};
  if (Status s = prepare_geometry(ctx, core::DType::int32, &g); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& w = *ctx.inputs[1].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_dtype(ctx, w, core::DType::int8); s != Status::ok) return s;
  // The device kernel indexes with int32.
  for (const core::Tensor* t : {&x, &w, &y}) {
    if (core::num_elements(t->shape) > INT32_MAX) {
      return ctx.fail(Status::invalid_model,
                      "fully_connected '%s': tensor '%s' has more than 2^31 elements",
                      ctx.node->name.c_str(), t->name.c_str());
    }
  }
  const core::Quantization& wq = w.quantization;
  const int out_features = g.out_features;
  const bool per_channel = wq.scales.size() > 1;
  const bool ok = wq.zero_points.size() == wq.scales.size() &&
                  (wq.scales.size() == 1 ||
                   (static_cast<int>(wq.scales.size()) == out_features && wq.axis == 0 &&
                    std::all_of(wq.zero_points.begin(), wq.zero_points.end(),
                                [](std::int64_t z) { return z == 0; })));
  if (!ok || (!per_channel && (wq.zero_points[0] < -127 || wq.zero_points[0] > 127))) {
    return ctx.fail(Status::invalid_quantization,
                    "fully_connected '%s': weight '%s' needs 1 scale or %d along axis 0 (zero "
                    "points 0), got %d scales",
                    ctx.node->name.c_str(), w.name.c_str(), out_features,
                    static_cast<int>(wq.scales.size()));
  }
  device::FullyConnectedS8Params& p = ctx.data<FcInt8Data>().params;
  p = {g.batches, g.in_features, g.out_features, 0, 0, 0, 0, 0, 0, nullptr, nullptr};
  p.requant_channels = per_channel ? out_features : 1;
  const ChannelRequant requant = channel_requant<FcInt8Data>(ctx.op_data, p.requant_channels);
  if (Status s =
          prepare_channel_requant(ctx, scale_of(x), wq, scale_of(y), p.requant_channels, requant);
      s != Status::ok) {
    return s;
  }
  p.multipliers = requant.multipliers;
  p.shifts = requant.shifts;
  p.input_offset = -zero_point_of(x);
  p.weight_offset = per_channel ? 0 : -static_cast<std::int32_t>(wq.zero_points[0]);
  p.output_offset = zero_point_of(y);
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &p.act_min,
                        &p.act_max);
  // The generated code may call fully_connected_s8_fast instead (deploy/op_emitters.cpp): the
  // plan holds the larger of the two kernels' scratch, so both arenas are the same.
  *scratch_bytes = device::fully_connected_s8_scratch_bytes(p);
  if (device::fully_connected_s8_fast_applies(p)) {
    *scratch_bytes =
        std::max<std::int64_t>(*scratch_bytes, device::fully_connected_s8_fast_scratch_bytes(p));
  }
  ctx.optional_scratch_bytes = device::fully_connected_s8_fast_optional_scratch_bytes(p);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  const std::int32_t* bias = ctx.num_inputs == 3 ? ctx.inputs[2].as<const std::int32_t>() : nullptr;
  device::fully_connected_s8(ctx.data<FcInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                             ctx.inputs[1].as<const std::int8_t>(), bias,
                             ctx.outputs[0].as<std::int8_t>(),
                             static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<FcFloatData>();
  if (Status s = prepare_geometry(ctx, core::DType::float32, &d.geometry); s != Status::ok)
    return s;
  for (const core::Tensor* t :
       {ctx.inputs[0].tensor, ctx.inputs[1].tensor, ctx.outputs[0].tensor}) {
    if (Status s = check_float32(ctx, *t); s != Status::ok) return s;
  }
  activation_range_float(ctx.node->attrs.fused_activation, &d.act_min, &d.act_max);
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  const auto& d = ctx.data<FcFloatData>();
  const float* bias = d.geometry.has_bias ? ctx.inputs[2].as<const float>() : nullptr;
  fully_connected_reference(d.geometry, ctx.inputs[0].as<const float>(), 0.0f,
                            ctx.inputs[1].as<const float>(), 0.0f, ctx.outputs[0].as<float>(),
                            [&](float acc, int o) {
                              if (bias) acc += bias[o];
                              return std::clamp(acc, d.act_min, d.act_max);
                            });
  return Status::ok;
}

}  // namespace

extern const KernelInfo kFullyConnectedInt8{
    core::OpType::fully_connected, core::DType::int8,   sizeof(FcInt8Data), prepare_int8, eval_int8,
    weight_channel_requant_bytes,  "fully_connected_s8"};
extern const KernelInfo kFullyConnectedFloat32{core::OpType::fully_connected, core::DType::float32,
                                               sizeof(FcFloatData), prepare_float, eval_float};

}  // namespace tinyscale::engine
