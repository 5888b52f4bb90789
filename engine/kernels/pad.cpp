// pad: TFLite PAD of H and W on NHWC tensors (attrs.pad_top/bottom/left/right) with a
// constant (attrs.pad_value). int8 pads with the quantized constant, i.e. the output zero
// point for the usual 0 (tflite-micro micro/kernels/pad.cc + reference_ops::Pad,
// tensorflow/lite/kernels/internal/reference/pad.h); input and output share quantization.
// The int8 copy is the freestanding device kernel device::pad_s8 (device/pad.h); the float32
// reference stays host-only.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/kernels/device/pad.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct PadInt8Data {
  device::PadS8Params params;
};

template <typename T>
struct PadData {
  int batches, in_h, in_w, channels, pad_top, pad_bottom, pad_left, pad_right;
  T pad_value;
};

template <typename T>
void pad_reference(const PadData<T>& p, const T* input, T* output) {
  const int out_w = p.in_w + p.pad_left + p.pad_right;
  const int out_h = p.in_h + p.pad_top + p.pad_bottom;
  const std::int64_t row = static_cast<std::int64_t>(out_w) * p.channels;
  const std::int64_t in_row = static_cast<std::int64_t>(p.in_w) * p.channels;
  for (int b = 0; b < p.batches; ++b) {
    for (int y = 0; y < out_h; ++y) {
      T* out = output + (static_cast<std::int64_t>(b) * out_h + y) * row;
      const int iy = y - p.pad_top;
      if (iy < 0 || iy >= p.in_h) {
        std::fill(out, out + row, p.pad_value);
        continue;
      }
      const std::int64_t left = static_cast<std::int64_t>(p.pad_left) * p.channels;
      std::fill(out, out + left, p.pad_value);
      const T* in = input + (static_cast<std::int64_t>(b) * p.in_h + iy) * in_row;
      std::copy(in, in + in_row, out + left);
      std::fill(out + left + in_row, out + row, p.pad_value);
    }
  }
}

template <typename T>
Status prepare_common(NodeContext& ctx, PadData<T>* p) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_rank(ctx, x, 4); s != Status::ok) return s;
  const core::Attributes& a = ctx.node->attrs;
  if (a.pad_top < 0 || a.pad_bottom < 0 || a.pad_left < 0 || a.pad_right < 0 ||
      y.shape != core::Shape{x.shape[0], x.shape[1] + a.pad_top + a.pad_bottom,
                             x.shape[2] + a.pad_left + a.pad_right, x.shape[3]}) {
    return ctx.fail(Status::invalid_model,
                    "pad '%s': output does not match the input padded by %d/%d/%d/%d",
                    ctx.node->name.c_str(), a.pad_top, a.pad_bottom, a.pad_left, a.pad_right);
  }
  *p = {static_cast<int>(x.shape[0]),
        static_cast<int>(x.shape[1]),
        static_cast<int>(x.shape[2]),
        static_cast<int>(x.shape[3]),
        a.pad_top,
        a.pad_bottom,
        a.pad_left,
        a.pad_right,
        T{}};
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* scratch_bytes) {
  PadData<std::int8_t> g{};
  if (Status s = prepare_common(ctx, &g); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, y); s != Status::ok) return s;
  const std::int32_t q = quantize_value(ctx.node->attrs.pad_value, scale_of(y), zero_point_of(y));
  if (q < -128 || q > 127) {
    return ctx.fail(Status::invalid_quantization,
                    "pad '%s': pad value %g is outside the int8 range", ctx.node->name.c_str(),
                    static_cast<double>(ctx.node->attrs.pad_value));
  }
  ctx.data<PadInt8Data>().params = {g.batches,    g.in_h,     g.in_w,      g.channels, g.pad_top,
                                    g.pad_bottom, g.pad_left, g.pad_right, q};
  *scratch_bytes = device::pad_s8_scratch_bytes(ctx.data<PadInt8Data>().params);
  return Status::ok;
}

Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<PadData<float>>();
  if (Status s = prepare_common(ctx, &d); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.inputs[0].tensor); s != Status::ok) return s;
  if (Status s = check_float32(ctx, *ctx.outputs[0].tensor); s != Status::ok) return s;
  d.pad_value = ctx.node->attrs.pad_value;
  return Status::ok;
}

Status eval_int8(const NodeContext& ctx) {
  device::pad_s8(ctx.data<PadInt8Data>().params, ctx.inputs[0].as<const std::int8_t>(),
                 ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  pad_reference(ctx.data<PadData<float>>(), ctx.inputs[0].as<const float>(),
                ctx.outputs[0].as<float>());
  return Status::ok;
}

}  // namespace

extern const KernelInfo kPadInt8{core::OpType::pad, core::DType::int8, sizeof(PadInt8Data),
                                 prepare_int8,      eval_int8,         nullptr,
                                 "pad_s8"};
extern const KernelInfo kPadFloat32{core::OpType::pad, core::DType::float32, sizeof(PadData<float>),
                                    prepare_float, eval_float};

}  // namespace tinyscale::engine
