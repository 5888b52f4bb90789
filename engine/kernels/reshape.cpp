// reshape: TFLite RESHAPE: the bytes are unchanged, only the shape differs (tflite-micro
// micro/kernels/reshape.cc copies unless input and output alias). int8 tensors must keep
// their quantization.
#include <cstring>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct ReshapeData {
  std::size_t bytes;
};

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
  ctx.data<ReshapeData>().bytes =
      static_cast<std::size_t>(core::num_elements(x.shape) * core::dtype_size(dtype));
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::int8);
}
Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::float32);
}

Status eval(const NodeContext& ctx) {
  // memmove: the planner may alias a reshape's output with its input.
  if (ctx.outputs[0].data != ctx.inputs[0].data) {
    std::memmove(ctx.outputs[0].data, ctx.inputs[0].data, ctx.data<ReshapeData>().bytes);
  }
  return Status::ok;
}

}  // namespace

extern const KernelInfo kReshapeInt8{core::OpType::reshape, core::DType::int8, sizeof(ReshapeData),
                                     prepare_int8, eval};
extern const KernelInfo kReshapeFloat32{core::OpType::reshape, core::DType::float32,
                                        sizeof(ReshapeData), prepare_float, eval};

}  // namespace tinyscale::engine
