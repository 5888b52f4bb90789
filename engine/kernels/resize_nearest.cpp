// resize_nearest: TFLite RESIZE_NEAREST_NEIGHBOR with align_corners = false and
// half_pixel_centers = false, by the integer factors attrs.scale_h / scale_w:
// in = min(floor(out × (in_size / float(out_size))), in_size - 1)
// (tensorflow/lite/kernels/internal/reference/resize_nearest_neighbor.h GetNearestNeighbor).
// Pure data movement: int8 input and output share quantization.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

struct ResizeData {
  int batches, in_h, in_w, out_h, out_w;
  std::int64_t pixel_bytes;  // channels × element size
};

int nearest_source(int out_index, int in_size, int out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const auto source = static_cast<int>(std::floor(static_cast<float>(out_index) * scale));
  return std::min(source, in_size - 1);
}

void resize_nearest_reference(const ResizeData& p, const std::uint8_t* input,
                              std::uint8_t* output) {
  for (int b = 0; b < p.batches; ++b) {
    for (int y = 0; y < p.out_h; ++y) {
      const int iy = nearest_source(y, p.in_h, p.out_h);
      for (int x = 0; x < p.out_w; ++x) {
        const int ix = nearest_source(x, p.in_w, p.out_w);
        std::memcpy(
            output + ((static_cast<std::int64_t>(b) * p.out_h + y) * p.out_w + x) * p.pixel_bytes,
            input + ((static_cast<std::int64_t>(b) * p.in_h + iy) * p.in_w + ix) * p.pixel_bytes,
            static_cast<std::size_t>(p.pixel_bytes));
      }
    }
  }
}

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  auto& d = ctx.data<ResizeData>();
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
  d = {static_cast<int>(x.shape[0]), static_cast<int>(x.shape[1]),
       static_cast<int>(x.shape[2]), static_cast<int>(y.shape[1]),
       static_cast<int>(y.shape[2]), x.shape[3] * core::dtype_size(dtype)};
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::int8);
}
Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::float32);
}

Status eval(const NodeContext& ctx) {
  resize_nearest_reference(ctx.data<ResizeData>(), ctx.inputs[0].as<const std::uint8_t>(),
                           ctx.outputs[0].as<std::uint8_t>());
  return Status::ok;
}

}  // namespace

extern const KernelInfo kResizeNearestInt8{core::OpType::resize_nearest, core::DType::int8,
                                           sizeof(ResizeData), prepare_int8, eval};
extern const KernelInfo kResizeNearestFloat32{core::OpType::resize_nearest, core::DType::float32,
                                              sizeof(ResizeData), prepare_float, eval};

}  // namespace tinyscale::engine
