// slice: TFLite SLICE: the block attrs.slice_begin + [0, attrs.slice_size) of the input
// (tflite-micro micro/kernels/slice.cc, which copies it; rank <= 5). The lowering of
// adaptive_avg_pool cuts its uneven bins out with it. The int8 kernel only copies bytes, so
// the output must carry the input's quantization, as TFLite's converter gives it. The copy is
// the freestanding device kernel device::slice_s8 (device/slice.h); the float32 kernel calls
// it too, with element_bytes 4.
#include "engine/kernels/device/slice.h"

#include <cstdint>

#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kMaxSliceRank = device::kSliceMaxRank;

// op_data begins with the device params (engine/kernels/device/README.md): every shape
// extended to rank 5 with leading 1s.
struct SliceData {
  device::SliceS8Params params;
};

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  if (Status s = check_arity(ctx, 1, 1); s != Status::ok) return s;
  const core::Tensor& x = *ctx.inputs[0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  const core::Attributes& a = ctx.node->attrs;
  const std::size_t rank = x.shape.size();
  if (rank < 1 || rank > static_cast<std::size_t>(kMaxSliceRank)) {
    return ctx.fail(Status::invalid_model, "slice '%s': input rank %d is outside 1..%d",
                    ctx.node->name.c_str(), static_cast<int>(rank), kMaxSliceRank);
  }
  if (a.slice_begin.size() != rank || a.slice_size.size() != rank) {
    return ctx.fail(Status::invalid_model,
                    "slice '%s': begin and size have %d and %d entries, the input rank is %d",
                    ctx.node->name.c_str(), static_cast<int>(a.slice_begin.size()),
                    static_cast<int>(a.slice_size.size()), static_cast<int>(rank));
  }
  for (std::size_t i = 0; i < rank; ++i) {
    if (a.slice_begin[i] < 0 || a.slice_size[i] < 1 ||
        a.slice_size[i] > x.shape[i] - a.slice_begin[i]) {
      return ctx.fail(Status::invalid_model,
                      "slice '%s': block at %lld of length %lld along axis %d is outside the "
                      "input's %lld",
                      ctx.node->name.c_str(), static_cast<long long>(a.slice_begin[i]),
                      static_cast<long long>(a.slice_size[i]), static_cast<int>(i),
                      static_cast<long long>(x.shape[i]));
    }
  }
  if (y.shape != a.slice_size) {
    return ctx.fail(Status::invalid_model, "slice '%s': output '%s' is %s, the block is %s",
                    ctx.node->name.c_str(), y.name.c_str(), core::shape_string(y.shape).c_str(),
                    core::shape_string(a.slice_size).c_str());
  }
  if (dtype == core::DType::int8) {
    if (Status s = check_int8_activation(ctx, x); s != Status::ok) return s;
    if (Status s = check_int8_activation(ctx, y); s != Status::ok) return s;
    if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
  } else {
    if (Status s = check_float32(ctx, x); s != Status::ok) return s;
    if (Status s = check_float32(ctx, y); s != Status::ok) return s;
  }
  if (Status s = check_device_size(ctx, x); s != Status::ok) return s;
  device::SliceS8Params& d = ctx.data<SliceData>().params;
  right_align(x.shape, 1, d.in_dims);
  right_align(a.slice_begin, 0, d.begin);
  right_align(a.slice_size, 1, d.size);
  d.element_bytes = static_cast<std::int32_t>(core::dtype_size(dtype));
  return Status::ok;
}

// One prepare for both dtypes: the device kernel moves bytes, whatever they hold.
template <core::DType kDType>
Status prepare(NodeContext& ctx, std::int64_t* scratch_bytes) {
  if (Status s = prepare_common(ctx, kDType); s != Status::ok) return s;
  *scratch_bytes = device::slice_s8_scratch_bytes(ctx.data<SliceData>().params);
  return Status::ok;
}

// Both dtypes: the device kernel copies bytes.
Status eval(const NodeContext& ctx) {
  device::slice_s8(ctx.data<SliceData>().params, ctx.inputs[0].as<const std::int8_t>(),
                   ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kSliceInt8{core::OpType::slice,
                                   core::DType::int8,
                                   sizeof(SliceData),
                                   prepare<core::DType::int8>,
                                   eval,
                                   nullptr,
                                   "slice_s8"};
extern const KernelInfo kSliceFloat32{core::OpType::slice, core::DType::float32, sizeof(SliceData),
                                      prepare<core::DType::float32>, eval};

}  // namespace tinyscale::engine
