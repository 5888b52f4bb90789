// concat: TFLite CONCATENATION along attrs.axis, a byte copy of every input
// (tflite-micro micro/kernels/concatenation.cc). int8 inputs must share the output's scale
// and zero point: TFLite's kernels/concatenation.cc refuses a model where they differ, and
// TFLite Micro would copy the bytes unscaled.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kMaxConcatInputs = 64;

struct ConcatData {
  std::int64_t outer;                          // product of dims before the axis
  std::int64_t inner_bytes[kMaxConcatInputs];  // bytes per outer step, per input
  std::int64_t output_inner_bytes;
};

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  auto& d = ctx.data<ConcatData>();
  if (Status s = check_arity(ctx, 1, kMaxConcatInputs); s != Status::ok) return s;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  const int rank = static_cast<int>(y.shape.size());
  const int axis = ctx.node->attrs.axis < 0 ? ctx.node->attrs.axis + rank : ctx.node->attrs.axis;
  if (axis < 0 || axis >= rank) {
    return ctx.fail(Status::invalid_model, "concat '%s': axis %d is out of range for rank %d",
                    ctx.node->name.c_str(), ctx.node->attrs.axis, rank);
  }
  if (dtype == core::DType::int8) {
    if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
  } else if (Status s = check_float32(ctx, y); s != Status::ok) {
    return s;
  }
  const auto element = core::dtype_size(dtype);
  std::int64_t axis_total = 0;
  d.outer = 1;
  for (int i = 0; i < axis; ++i) d.outer *= y.shape[static_cast<std::size_t>(i)];
  for (int n = 0; n < ctx.num_inputs; ++n) {
    const core::Tensor& x = *ctx.inputs[n].tensor;
    bool compatible = x.shape.size() == y.shape.size();
    for (std::size_t i = 0; compatible && i < x.shape.size(); ++i) {
      compatible = static_cast<int>(i) == axis || x.shape[i] == y.shape[i];
    }
    if (!compatible) {
      return ctx.fail(Status::invalid_model,
                      "concat '%s': input '%s' does not match the output outside axis %d",
                      ctx.node->name.c_str(), x.name.c_str(), axis);
    }
    axis_total += x.shape[static_cast<std::size_t>(axis)];
    d.inner_bytes[n] = core::num_elements(x.shape) / std::max<std::int64_t>(d.outer, 1) * element;
    if (dtype == core::DType::int8) {
      if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
      if (scale_of(x) != scale_of(y) || zero_point_of(x) != zero_point_of(y)) {
        return ctx.fail(Status::invalid_quantization,
                        "concat '%s': int8 input '%s' (scale %g, zero point %d) must have the "
                        "output's scale %g and zero point %d",
                        ctx.node->name.c_str(), x.name.c_str(), static_cast<double>(scale_of(x)),
                        zero_point_of(x), static_cast<double>(scale_of(y)), zero_point_of(y));
      }
    } else if (Status s = check_float32(ctx, x); s != Status::ok) {
      return s;
    }
  }
  if (axis_total != y.shape[static_cast<std::size_t>(axis)]) {
    return ctx.fail(Status::invalid_model,
                    "concat '%s': inputs add up to %lld along axis %d, output has %lld",
                    ctx.node->name.c_str(), static_cast<long long>(axis_total), axis,
                    static_cast<long long>(y.shape[static_cast<std::size_t>(axis)]));
  }
  d.output_inner_bytes = core::num_elements(y.shape) / std::max<std::int64_t>(d.outer, 1) * element;
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::int8);
}
Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::float32);
}

Status eval(const NodeContext& ctx) {
  const auto& d = ctx.data<ConcatData>();
  auto* out = ctx.outputs[0].as<std::uint8_t>();
  for (std::int64_t o = 0; o < d.outer; ++o) {
    std::uint8_t* dst = out + o * d.output_inner_bytes;
    for (int n = 0; n < ctx.num_inputs; ++n) {
      const std::int64_t bytes = d.inner_bytes[n];
      const std::uint8_t* src = ctx.inputs[n].as<const std::uint8_t>() + o * bytes;
      std::memcpy(dst, src, static_cast<std::size_t>(bytes));
      dst += bytes;
    }
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kConcatInt8{core::OpType::concat, core::DType::int8, sizeof(ConcatData),
                                    prepare_int8, eval};
extern const KernelInfo kConcatFloat32{core::OpType::concat, core::DType::float32,
                                       sizeof(ConcatData), prepare_float, eval};

}  // namespace tinyscale::engine
