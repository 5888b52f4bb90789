// dequantize: TFLite DEQUANTIZE from int8: float(double(scale) × (q - zero_point))
// (tensorflow/lite/kernels/internal/reference/dequantize.h, micro/kernels/dequantize_common.cc).
// The math is the freestanding device kernel device::dequantize_s8 (device/dequantize.h),
// which gets the same floats with one float multiplication.
#include <cstdint>

#include "engine/kernels/device/dequantize.h"
#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct DequantizeData {
  device::DequantizeS8Params params;
};

Status prepare(NodeContext& ctx, std::int64_t* scratch_bytes) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_same_shape(ctx, x, y); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_float32(ctx, y); s != Status::ok) return s;
  if (Status s = check_device_size(ctx, y); s != Status::ok) return s;
  device::DequantizeS8Params& p = ctx.data<DequantizeData>().params;
  p.size = static_cast<std::int32_t>(core::num_elements(x.shape));
  p.zero_point = zero_point_of(x);
  p.scale = scale_of(x);
  *scratch_bytes = device::dequantize_s8_scratch_bytes(p);
  return Status::ok;
}

Status eval(const NodeContext& ctx) {
  device::dequantize_s8(ctx.data<DequantizeData>().params, ctx.inputs[0].as<const std::int8_t>(),
                        ctx.outputs[0].as<float>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kDequantizeInt8{
    core::OpType::dequantize, core::DType::int8, sizeof(DequantizeData), prepare, eval, nullptr,
    "dequantize_s8"};

}  // namespace tinyscale::engine
