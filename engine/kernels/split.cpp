// split: TFLite SPLIT: the input cut into as many equal parts along attrs.axis as the node
// has outputs (tflite-micro micro/kernels/split.cc, which copies each part). The int8 kernel
// only copies bytes, so every output must carry the input's quantization, as TFLite's
// converter gives it. The copy is the freestanding device kernel device::split_s8
// (device/split.h); the float32 kernel calls it too, with sizes in bytes.
#include "engine/kernels/device/split.h"

#include <cstdint>

#include "core/ops.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct SplitData {
  device::SplitS8Params params;
};

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  if (ctx.num_inputs != 1 || ctx.num_outputs < 1 || ctx.num_outputs > core::kMaxSplitOutputs) {
    return ctx.fail(
        Status::invalid_model, "split '%s': expects 1 input and 1..%d outputs, got %d and %d",
        ctx.node->name.c_str(), core::kMaxSplitOutputs, ctx.num_inputs, ctx.num_outputs);
  }
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const int rank = static_cast<int>(x.shape.size());
  const int axis = ctx.node->attrs.axis < 0 ? ctx.node->attrs.axis + rank : ctx.node->attrs.axis;
  if (axis < 0 || axis >= rank) {
    return ctx.fail(Status::invalid_model, "split '%s': axis %d is out of range for rank %d",
                    ctx.node->name.c_str(), ctx.node->attrs.axis, rank);
  }
  const std::int64_t dim = x.shape[static_cast<std::size_t>(axis)];
  if (dim % ctx.num_outputs != 0) {
    return ctx.fail(Status::invalid_model,
                    "split '%s': dimension %lld along axis %d does not split into %d equal parts",
                    ctx.node->name.c_str(), static_cast<long long>(dim), axis, ctx.num_outputs);
  }
  core::Shape part = x.shape;
  part[static_cast<std::size_t>(axis)] = dim / ctx.num_outputs;
  if (dtype == core::DType::int8) {
    if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  } else if (Status s = check_float32(ctx, x); s != Status::ok) {
    return s;
  }
  for (int k = 0; k < ctx.num_outputs; ++k) {
    const core::Tensor& y = *ctx.outputs[k].tensor;
    if (y.shape != part) {
      return ctx.fail(Status::invalid_model, "split '%s': output '%s' is %s, expected %s",
                      ctx.node->name.c_str(), y.name.c_str(), core::shape_string(y.shape).c_str(),
                      core::shape_string(part).c_str());
    }
    if (dtype == core::DType::int8) {
      if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
      if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
    } else if (Status s = check_float32(ctx, y); s != Status::ok) {
      return s;
    }
  }
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  std::int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= x.shape[static_cast<std::size_t>(i)];
  device::SplitS8Params& d = ctx.data<SplitData>().params;
  d.outer = static_cast<std::int32_t>(outer);
  d.num_outputs = ctx.num_outputs;
  d.part_inner =
      static_cast<std::int32_t>(core::num_elements(part) / outer * core::dtype_size(dtype));
  return Status::ok;
}

// One prepare for both dtypes: the device kernel moves bytes, whatever they hold.
template <core::DType kDType>
Status prepare(NodeContext& ctx, std::int64_t* scratch_bytes) {
  if (Status s = prepare_common(ctx, kDType); s != Status::ok) return s;
  *scratch_bytes = device::split_s8_scratch_bytes(ctx.data<SplitData>().params);
  return Status::ok;
}

// Both dtypes: the device kernel copies bytes.
Status eval(const NodeContext& ctx) {
  std::int8_t* outputs[core::kMaxSplitOutputs];
  for (int k = 0; k < ctx.num_outputs; ++k) outputs[k] = ctx.outputs[k].as<std::int8_t>();
  device::split_s8(ctx.data<SplitData>().params, ctx.inputs[0].as<const std::int8_t>(), outputs,
                   static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kSplitInt8{core::OpType::split,
                                   core::DType::int8,
                                   sizeof(SplitData),
                                   prepare<core::DType::int8>,
                                   eval,
                                   nullptr,
                                   "split_s8"};
extern const KernelInfo kSplitFloat32{core::OpType::split, core::DType::float32, sizeof(SplitData),
                                      prepare<core::DType::float32>, eval};

}  // namespace tinyscale::engine
