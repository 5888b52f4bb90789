// concat: TFLite CONCATENATION along attrs.axis, a byte copy of every input
// (tflite-micro micro/kernels/concatenation.cc). int8 inputs must share the output's scale
// and zero point: TFLite's kernels/concatenation.cc refuses a model where they differ, and
// TFLite Micro would copy the bytes unscaled. The copy is the freestanding device kernel
// device::concat_s8 (device/concat.h); the float32 kernel calls it too, with sizes in bytes.
#include "engine/kernels/device/concat.h"

#include <algorithm>
#include <cstdint>

#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kMaxConcatInputs = 64;

// op_data begins with the device params (engine/kernels/device/README.md); the per-input
// byte counts they point at follow them, one int32 per input.
struct ConcatData {
  device::ConcatS8Params params;
};

std::size_t input_inner_bytes(const core::Graph& /*graph*/, const core::Node& node) {
  return node.inputs.size() * sizeof(std::int32_t);
}

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  device::ConcatS8Params& d = ctx.data<ConcatData>().params;
  auto* input_inner =
      reinterpret_cast<std::int32_t*>(static_cast<std::uint8_t*>(ctx.op_data) + sizeof(ConcatData));
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
  if (Status s = check_device_size(ctx, y); s != Status::ok) return s;
  const auto element = core::dtype_size(dtype);
  std::int64_t axis_total = 0;
  std::int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= y.shape[static_cast<std::size_t>(i)];
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
    // Fits in int32 once the inputs add up to the output (checked after the loop).
    input_inner[n] = static_cast<std::int32_t>(core::num_elements(x.shape) /
                                               std::max<std::int64_t>(outer, 1) * element);
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
  d.outer = static_cast<std::int32_t>(outer);
  d.num_inputs = ctx.num_inputs;
  d.output_inner = static_cast<std::int32_t>(core::num_elements(y.shape) /
                                             std::max<std::int64_t>(outer, 1) * element);
  d.input_inner = input_inner;
  return Status::ok;
}

// One prepare for both dtypes: the device kernel moves bytes, whatever they hold.
template <core::DType kDType>
Status prepare(NodeContext& ctx, std::int64_t* scratch_bytes) {
  if (Status s = prepare_common(ctx, kDType); s != Status::ok) return s;
  *scratch_bytes = device::concat_s8_scratch_bytes(ctx.data<ConcatData>().params);
  return Status::ok;
}

// Both dtypes: the device kernel copies bytes.
Status eval(const NodeContext& ctx) {
  const std::int8_t* inputs[kMaxConcatInputs];
  for (int n = 0; n < ctx.num_inputs; ++n) inputs[n] = ctx.inputs[n].as<const std::int8_t>();
  device::concat_s8(ctx.data<ConcatData>().params, inputs, ctx.outputs[0].as<std::int8_t>(),
                    static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kConcatInt8{
    core::OpType::concat, core::DType::int8, sizeof(ConcatData), prepare<core::DType::int8>, eval,
    input_inner_bytes,    "concat_s8"};
extern const KernelInfo kConcatFloat32{core::OpType::concat,
                                       core::DType::float32,
                                       sizeof(ConcatData),
                                       prepare<core::DType::float32>,
                                       eval,
                                       input_inner_bytes};

}  // namespace tinyscale::engine
