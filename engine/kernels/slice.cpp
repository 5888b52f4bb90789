// slice: TFLite SLICE: the block attrs.slice_begin + [0, attrs.slice_size) of the input
// (tflite-micro micro/kernels/slice.cc, which copies it; rank <= 5). The lowering of
// adaptive_avg_pool cuts its uneven bins out with it. The int8 kernel only copies bytes, so
// the output must carry the input's quantization, as TFLite's converter gives it.
#include <cstdint>
#include <cstring>

#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kMaxSliceRank = 5;

// Every shape extended to rank 5 with leading 1s; the innermost axis is copied as one run.
struct SliceData {
  std::int64_t in_dims[kMaxSliceRank];
  std::int64_t begin[kMaxSliceRank];
  std::int64_t size[kMaxSliceRank];
  std::int64_t element_bytes;
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
  auto& d = ctx.data<SliceData>();
  const std::size_t lead = kMaxSliceRank - rank;
  for (std::size_t i = 0; i < kMaxSliceRank; ++i) {
    d.in_dims[i] = i < lead ? 1 : x.shape[i - lead];
    d.begin[i] = i < lead ? 0 : a.slice_begin[i - lead];
    d.size[i] = i < lead ? 1 : a.slice_size[i - lead];
  }
  d.element_bytes = core::dtype_size(dtype);
  return Status::ok;
}

Status prepare_int8(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::int8);
}
Status prepare_float(NodeContext& ctx, std::int64_t* /*scratch_bytes*/) {
  return prepare_common(ctx, core::DType::float32);
}

// Copies the block row by row (a row: the innermost axis' size[4] elements).
void slice_copy(const SliceData& d, const std::uint8_t* in, std::uint8_t* out) {
  const std::int64_t* n = d.in_dims;
  const auto row_bytes = static_cast<std::size_t>(d.size[4] * d.element_bytes);
  for (std::int64_t i0 = d.begin[0]; i0 < d.begin[0] + d.size[0]; ++i0)
    for (std::int64_t i1 = d.begin[1]; i1 < d.begin[1] + d.size[1]; ++i1)
      for (std::int64_t i2 = d.begin[2]; i2 < d.begin[2] + d.size[2]; ++i2)
        for (std::int64_t i3 = d.begin[3]; i3 < d.begin[3] + d.size[3]; ++i3) {
          const std::int64_t row = (((i0 * n[1] + i1) * n[2] + i2) * n[3] + i3) * n[4] + d.begin[4];
          std::memcpy(out, in + row * d.element_bytes, row_bytes);
          out += row_bytes;
        }
}

Status eval(const NodeContext& ctx) {
  slice_copy(ctx.data<SliceData>(), ctx.inputs[0].as<const std::uint8_t>(),
             ctx.outputs[0].as<std::uint8_t>());
  return Status::ok;
}

}  // namespace

extern const KernelInfo kSliceInt8{core::OpType::slice, core::DType::int8, sizeof(SliceData),
                                   prepare_int8, eval};
extern const KernelInfo kSliceFloat32{core::OpType::slice, core::DType::float32, sizeof(SliceData),
                                      prepare_float, eval};

}  // namespace tinyscale::engine
