// resize_nearest: TFLite RESIZE_NEAREST_NEIGHBOR with align_corners = false and
// half_pixel_centers = false, by the integer factors attrs.scale_h / scale_w:
// in = min(floor(out × (in_size / float(out_size))), in_size - 1)
// (tensorflow/lite/kernels/internal/reference/resize_nearest_neighbor.h GetNearestNeighbor).
// Pure data movement: int8 input and output share quantization. The copy is the freestanding
// device kernel device::resize_nearest_s8 (device/resize_nearest.h), which indexes with exact
// integer division; prepare() checks that agrees with TFLite's float formula for every row
// and column of the node. The float32 kernel calls it too, with pixel_bytes = 4 × channels.
#include "engine/kernels/device/resize_nearest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

// op_data begins with the device params (engine/kernels/device/README.md).
struct ResizeData {
  device::ResizeNearestS8Params params;
};

int nearest_source(int out_index, int in_size, int out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const auto source = static_cast<int>(std::floor(static_cast<float>(out_index) * scale));
  return std::min(source, in_size - 1);
}

// Whether out_index / scale (the device kernel's source index) is TFLite's nearest_source for
// every output index of an axis of in_size × scale. (It is for every size tried; checked
// anyway, since TFLite's is a float computation.)
bool exact_division_matches_tflite(int in_size, int scale) {
  const int out_size = in_size * scale;
  for (int i = 0; i < out_size; ++i) {
    if (nearest_source(i, in_size, out_size) != i / scale) return false;
  }
  return true;
}

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  device::ResizeNearestS8Params& d = ctx.data<ResizeData>().params;
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
  if (Status s = check_rank(ctx, x, 4); s != Status::ok) return s;
  const core::Attributes& a = ctx.node->attrs;
  if (a.scale_h < 1 || a.scale_w < 1 ||
      y.shape !=
          core::Shape{x.shape[0], x.shape[1] * a.scale_h, x.shape[2] * a.scale_w, x.shape[3]}) {
    return ctx.fail(Status::invalid_model,
                    "resize_nearest '%s': output must be the input scaled by %dx%d",
                    ctx.node->name.c_str(), a.scale_h, a.scale_w);
  }
  if (Status s = check_device_size(ctx, y); s != Status::ok) return s;
  const auto in_h = static_cast<int>(x.shape[1]), in_w = static_cast<int>(x.shape[2]);
  if (!exact_division_matches_tflite(in_h, a.scale_h) ||
      !exact_division_matches_tflite(in_w, a.scale_w)) {
    return ctx.fail(Status::unsupported_op,
                    "resize_nearest '%s': TFLite's float source index differs from exact division "
                    "for %dx%d scaled by %dx%d",
                    ctx.node->name.c_str(), in_h, in_w, a.scale_h, a.scale_w);
  }
  d = {static_cast<std::int32_t>(x.shape[0]),
       in_h,
       in_w,
       a.scale_h,
       a.scale_w,
       static_cast<std::int32_t>(x.shape[3] * core::dtype_size(dtype))};
  return Status::ok;
}

// One prepare for both dtypes: the device kernel moves bytes, whatever they hold.
template <core::DType kDType>
Status prepare(NodeContext& ctx, std::int64_t* scratch_bytes) {
  if (Status s = prepare_common(ctx, kDType); s != Status::ok) return s;
  *scratch_bytes = device::resize_nearest_s8_scratch_bytes(ctx.data<ResizeData>().params);
  return Status::ok;
}

// Both dtypes: the device kernel copies pixels as bytes.
Status eval(const NodeContext& ctx) {
  device::resize_nearest_s8(ctx.data<ResizeData>().params, ctx.inputs[0].as<const std::int8_t>(),
                            ctx.outputs[0].as<std::int8_t>(),
                            static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kResizeNearestInt8{core::OpType::resize_nearest,
                                           core::DType::int8,
                                           sizeof(ResizeData),
                                           prepare<core::DType::int8>,
                                           eval,
                                           nullptr,
                                           "resize_nearest_s8"};
extern const KernelInfo kResizeNearestFloat32{core::OpType::resize_nearest, core::DType::float32,
                                              sizeof(ResizeData), prepare<core::DType::float32>,
                                              eval};

}  // namespace tinyscale::engine
