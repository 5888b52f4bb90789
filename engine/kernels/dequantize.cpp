// dequantize: TFLite DEQUANTIZE from int8: float(double(scale) × (q - zero_point))
// (tensorflow/lite/kernels/internal/reference/dequantize.h, micro/kernels/dequantize_common.cc).
#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct DequantizeData {
  std::int64_t size;
  double scale;
  std::int32_t zero_point;
};

Status prepare(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  auto& d = ctx.data<DequantizeData>();
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  if (Status s = check_same_shape(ctx, x, y); s != Status::ok) return s;
  if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
  if (Status s = check_float32(ctx, y); s != Status::ok) return s;
  d.size = core::num_elements(x.shape);
  d.scale = static_cast<double>(scale_of(x));
  d.zero_point = zero_point_of(x);
  return Status::ok;
}

Status eval(const NodeContext& ctx) {
  const auto& d = ctx.data<DequantizeData>();
  const std::int8_t* in = ctx.inputs[0].as<const std::int8_t>();
  float* out = ctx.outputs[0].as<float>();
  for (std::int64_t i = 0; i < d.size; ++i)
    out[i] = static_cast<float>(d.scale * (in[i] - d.zero_point));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kDequantizeInt8{core::OpType::dequantize, core::DType::int8,
                                        sizeof(DequantizeData), prepare, eval};

}  // namespace tinyscale::engine
