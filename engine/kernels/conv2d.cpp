// conv2d: TFLite CONV_2D and DEPTHWISE_CONV_2D in one kernel (groups == 1, grouped, and
// depthwise = groups == input channels with weight [C·m, kh, kw, 1]).
// int8 follows tflite-micro's reference_integer_ops::ConvPerChannel / DepthwiseConvPerChannel
// (tensorflow/lite/kernels/internal/reference/integer_ops/{conv,depthwise_conv}.h) with the
// multipliers of micro/kernels/conv_common.cc PopulateConvolutionQuantizationParams.
// The int8 math is the freestanding device kernel device::conv2d_s8 (device/conv2d.h); this
// file validates, precomputes its Conv2dS8Params into op_data and calls it. The float32
// reference stays host-only. In place: when the arena plan gives a depthwise node's output its
// input's bytes (engine/liveness.h), the input and output pointers are equal and ctx.scratch
// holds the H × W plane the device kernel's in-place path copies each channel into. A fused
// activation (engine/activation_fusion.h): prepare leaves params.output_table null; compile
// fills the table after the node's op_data and points output_table at it.
#include <algorithm>
#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct ConvGeometry {
  int batches, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int in_c_per_group, out_c_per_group;
  bool has_bias;
};

// op_data begins with the device params (the device kernel contract); the requantization
// multipliers and shifts they point at follow them: see channel_requant().
struct ConvInt8Data {
  device::Conv2dS8Params params;
};

struct ConvFloatData {
  ConvGeometry geometry;
  float act_min, act_max;
};

// The reference loop: for every output element, accumulate (input + input_offset) × weight
// over the window (points outside the input contribute nothing: TFLite's implicit zero
// padding in real terms), then `finish(acc, out_channel)` requantizes or adds the bias.
template <typename In, typename Acc, typename Out, typename Finish>
void conv2d_reference(const ConvGeometry& g, const In* input, Acc input_offset, const In* weight,
                      Out* output, Finish&& finish) {
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int in_y_origin = oy * g.stride_h - g.pad_top;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int in_x_origin = ox * g.stride_w - g.pad_left;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int in_c_begin = (oc / g.out_c_per_group) * g.in_c_per_group;
          Acc acc = 0;
          for (int ky = 0; ky < g.kernel_h; ++ky) {
            const int iy = in_y_origin + g.dilation_h * ky;
            if (iy < 0 || iy >= g.in_h) continue;
            for (int kx = 0; kx < g.kernel_w; ++kx) {
              const int ix = in_x_origin + g.dilation_w * kx;
              if (ix < 0 || ix >= g.in_w) continue;
              const In* in_px =
                  input + ((static_cast<std::int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c +
                  in_c_begin;
              const In* w_px =
                  weight + ((static_cast<std::int64_t>(oc) * g.kernel_h + ky) * g.kernel_w + kx) *
                               g.in_c_per_group;
              for (int ic = 0; ic < g.in_c_per_group; ++ic) {
                acc += (static_cast<Acc>(in_px[ic]) + input_offset) * static_cast<Acc>(w_px[ic]);
              }
            }
          }
          output[((static_cast<std::int64_t>(b) * g.out_h + oy) * g.out_w + ox) * g.out_c + oc] =
              finish(acc, oc);
        }
      }
    }
  }
}

int window_output_size(std::int64_t in, int kernel, int stride, int dilation, int pad_before,
                       int pad_after) {
  const std::int64_t span = static_cast<std::int64_t>(dilation) * (kernel - 1) + 1;
  return static_cast<int>((in + pad_before + pad_after - span) / stride + 1);
}

// Shapes, attributes and the bias dtype; fills the geometry.
Status prepare_geometry(NodeContext& ctx, core::DType bias_dtype, ConvGeometry* g) {
  if (Status s = check_arity(ctx, 2, 3); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& w = *ctx.inputs[1].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  for (const core::Tensor* t : {&x, &w, &y}) {
    if (Status s = check_rank(ctx, *t, 4); s != Status::ok) return s;
  }
  if (Status s = check_constant_data(ctx, ctx.inputs[1]); s != Status::ok) return s;
  const core::Attributes& a = ctx.node->attrs;
  const char* name = ctx.node->name.c_str();
  if (a.kernel_h < 1 || a.kernel_w < 1 || a.stride_h < 1 || a.stride_w < 1 || a.dilation_h < 1 ||
      a.dilation_w < 1 || a.pad_top < 0 || a.pad_left < 0 || a.pad_bottom < 0 || a.pad_right < 0) {
    return ctx.fail(Status::invalid_model,
                    "conv2d '%s': invalid kernel, stride, dilation or padding", name);
  }
  if (a.groups < 1 || x.shape[3] % a.groups != 0 || w.shape[0] % a.groups != 0 ||
      w.shape[3] * a.groups != x.shape[3] || w.shape[1] != a.kernel_h || w.shape[2] != a.kernel_w) {
    return ctx.fail(Status::invalid_model,
                    "conv2d '%s': weight [%lld,%lld,%lld,%lld] does not fit input channels %lld, "
                    "groups %d and kernel %dx%d",
                    name, static_cast<long long>(w.shape[0]), static_cast<long long>(w.shape[1]),
                    static_cast<long long>(w.shape[2]), static_cast<long long>(w.shape[3]),
                    static_cast<long long>(x.shape[3]), a.groups, a.kernel_h, a.kernel_w);
  }
  const int out_h =
      window_output_size(x.shape[1], a.kernel_h, a.stride_h, a.dilation_h, a.pad_top, a.pad_bottom);
  const int out_w =
      window_output_size(x.shape[2], a.kernel_w, a.stride_w, a.dilation_w, a.pad_left, a.pad_right);
  if (y.shape != core::Shape{x.shape[0], out_h, out_w, w.shape[0]} || out_h < 1 || out_w < 1) {
    return ctx.fail(Status::invalid_model,
                    "conv2d '%s': output must be [%lld,%d,%d,%lld] for this input and window", name,
                    static_cast<long long>(x.shape[0]), out_h, out_w,
                    static_cast<long long>(w.shape[0]));
  }
  g->has_bias = ctx.num_inputs == 3;
  if (g->has_bias) {
    const core::Tensor& bias = *ctx.inputs[2].tensor;
    if (Status s = check_dtype(ctx, bias, bias_dtype); s != Status::ok) return s;
    if (Status s = check_constant_data(ctx, ctx.inputs[2]); s != Status::ok) return s;
    if (bias.shape != core::Shape{w.shape[0]}) {
      return ctx.fail(Status::invalid_model, "conv2d '%s': bias must be [%lld]", name,
                      static_cast<long long>(w.shape[0]));
    }
  }
  g->batches = static_cast<int>(x.shape[0]);
  g->in_h = static_cast<int>(x.shape[1]);
  g->in_w = static_cast<int>(x.shape[2]);
  g->in_c = static_cast<int>(x.shape[3]);
  g->out_h = out_h;
  g->out_w = out_w;
  g->out_c = static_cast<int>(w.shape[0]);
  g->kernel_h = a.kernel_h;
  g->kernel_w = a.kernel_w;
  g->stride_h = a.stride_h;
  g->stride_w = a.stride_w;
  g->dilation_h = a.dilation_h;
  g->dilation_w = a.dilation_w;
  g->pad_top = a.pad_top;
  g->pad_left = a.pad_left;
  g->in_c_per_group = static_cast<int>(w.shape[3]);
  g->out_c_per_group = g->out_c / a.groups;
  return Status::ok;
}

// ---- int8

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  ConvGeometry g{};
  if (Status s = prepare_geometry(ctx, core::DType::int32, &g); s != Status::ok) return s;
  if (!g.has_bias) {  // as TFLite's kernels/conv.cc ("has_bias was not true")
    return ctx.fail(Status::invalid_model, "conv2d '%s': an int8 convolution needs a bias",
                    ctx.node->name.c_str());
  }
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& w = *ctx.inputs[1].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_dtype(ctx, w, core::DType::int8); s != Status::ok) return s;
  // The device kernel indexes with int32.
  for (const core::Tensor* t : {&x, &w, &y}) {
    if (core::num_elements(t->shape) > INT32_MAX) {
      return ctx.fail(Status::invalid_model, "conv2d '%s': tensor '%s' has more than 2^31 elements",
                      ctx.node->name.c_str(), t->name.c_str());
    }
  }
  const core::Quantization& wq = w.quantization;
  const int out_c = g.out_c;
  const bool scales_ok =
      wq.scales.size() == 1 || (static_cast<int>(wq.scales.size()) == out_c && wq.axis == 0);
  const bool zero_points_ok = wq.zero_points.size() == wq.scales.size() &&
                              std::all_of(wq.zero_points.begin(), wq.zero_points.end(),
                                          [](std::int64_t z) { return z == 0; });
  if (!scales_ok || !zero_points_ok) {
    return ctx.fail(Status::invalid_quantization,
                    "conv2d '%s': weight '%s' needs 1 or %d scales along axis 0 and zero points 0, "
                    "got %d scales (axis %d)",
                    ctx.node->name.c_str(), w.name.c_str(), out_c,
                    static_cast<int>(wq.scales.size()), wq.axis);
  }
  device::Conv2dS8Params& p = ctx.data<ConvInt8Data>().params;
  p = {g.batches,    g.in_h,       g.in_w,           g.in_c,          g.out_h,
       g.out_w,      g.out_c,      g.kernel_h,       g.kernel_w,      g.stride_h,
       g.stride_w,   g.dilation_h, g.dilation_w,     g.pad_top,       g.pad_left,
       g.in_c_per_group, g.out_c_per_group, 0, 0, 0, 0, 0, nullptr, nullptr, nullptr};
  p.requant_channels = wq.scales.size() > 1 ? out_c : 1;
  const ChannelRequant requant = channel_requant<ConvInt8Data>(ctx.op_data, p.requant_channels);
  if (Status s = prepare_channel_requant(ctx, scale_of(x), wq, scale_of(y), p.requant_channels,
                                         requant);
      s != Status::ok) {
    return s;
  }
  p.multipliers = requant.multipliers;
  p.shifts = requant.shifts;
  p.input_offset = -zero_point_of(x);
  p.output_offset = zero_point_of(y);
  activation_range_int8(ctx.node->attrs.fused_activation, scale_of(y), zero_point_of(y), &p.act_min,
                        &p.act_max);
  *scratch_bytes = device::conv2d_s8_scratch_bytes(p);
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::conv2d_s8(ctx.data<ConvInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                    ctx.inputs[1].as<const std::int8_t>(), ctx.inputs[2].as<const std::int32_t>(),
                    ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

// ---- float32

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<ConvFloatData>();
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
  const auto& d = ctx.data<ConvFloatData>();
  const float* bias = d.geometry.has_bias ? ctx.inputs[2].as<const float>() : nullptr;
  conv2d_reference(d.geometry, ctx.inputs[0].as<const float>(), 0.0f,
                   ctx.inputs[1].as<const float>(), ctx.outputs[0].as<float>(),
                   [&](float acc, int oc) {
                     if (bias) acc += bias[oc];
                     return std::clamp(acc, d.act_min, d.act_max);
                   });
  return Status::ok;
}

}  // namespace

extern const KernelInfo kConv2dInt8{core::OpType::conv2d,       core::DType::int8,
                                    sizeof(ConvInt8Data),        prepare_int8,
                                    eval_int8,                   weight_channel_requant_bytes,
                                    "conv2d_s8"};
extern const KernelInfo kConv2dFloat32{core::OpType::conv2d, core::DType::float32,
                                       sizeof(ConvFloatData), prepare_float, eval_float};

}  // namespace tinyscale::engine
