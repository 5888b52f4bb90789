// reshape: TFLite RESHAPE: the bytes are unchanged, only the shape differs (tflite-micro
// micro/kernels/reshape.cc copies unless input and output alias). int8 tensors must keep
// their quantization. The int8 copy is the freestanding device kernel device::reshape_s8
// (device/reshape.h); op_data is its params for both dtypes (bytes to copy).
#include "engine/kernels/device/reshape.h"

#include <cstring>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (dtype == core::DType::int8) {
    if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
    if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
    if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
  } else {
    if (Status s = check_float32(ctx, x); s != Status::ok) return s;
    if (Status s = check_float32(ctx, y); s != Status::ok) return s;
  }
  if (core::num_elements(x.shape) != core::num_elements(y.shape)) {
    return ctx.fail(Status::invalid_model,
                    "reshape '%s': %lld input elements but %lld output elements",
                    ctx.node->name.c_str(), static_cast<long long>(core::num_elements(x.shape)),
                    static_cast<long long>(core::num_elements(y.shape)));
  }
  const std::int64_t bytes = core::num_elements(x.shape) * core::dtype_size(dtype);
  if (bytes > INT32_MAX) {
    return ctx.fail(Status::invalid_model, "reshape '%s': more than 2^31 bytes",
                    ctx.node->name.c_str());
  }
  ctx.data<device::ReshapeS8Params>().bytes = static_cast<std::int32_t>(bytes);
  return Status::ok;
}

template <core::DType kDType>
Status prepare(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, kDType);
}

Status eval_int8(const NodeContext& ctx) {
  device::reshape_s8(ctx.data<device::ReshapeS8Params>(), ctx.inputs[0].as<const std::int8_t>(),
                     ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

Status eval_float(const NodeContext& ctx) {
  // memmove: the planner may alias a reshape's output with its input.
  if (ctx.outputs[0].data != ctx.inputs[0].data) {
    std::memmove(ctx.outputs[0].data, ctx.inputs[0].data,
                 static_cast<std::size_t>(ctx.data<device::ReshapeS8Params>().bytes));
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kReshapeInt8{core::OpType::reshape,
                                     core::DType::int8,
                                     sizeof(device::ReshapeS8Params),
                                     prepare<core::DType::int8>,
                                     eval_int8,
                                     nullptr,
                                     "reshape_s8"};
extern const KernelInfo kReshapeFloat32{core::OpType::reshape, core::DType::float32,
                                        sizeof(device::ReshapeS8Params),
                                        prepare<core::DType::float32>, eval_float};

}  // namespace tinyscale::engine
