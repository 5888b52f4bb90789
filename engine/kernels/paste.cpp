// paste: tinyscale's own op (no TFLite or ONNX equivalent): input 0, the destination, with
// the block input 1 written at attrs.slice_begin; with the block alone (one input), a tensor
// of shape attrs.new_shape holding the block there and nothing written elsewhere. Patch-based
// execution (engine/patch.h) writes a layer's output patch by patch with a chain of pastes,
// which the arena plan runs in place over one buffer (engine/liveness.h). The int8 kernel
// only copies bytes, so block, destination and output must share quantization. The copy is
// the freestanding device kernel device::paste_s8 (device/paste.h); the float32 kernel calls
// it too, with element_bytes 4.
#include "engine/kernels/device/paste.h"

#include <cstdint>

#include "engine/kernels/device_size.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/quantization_util.h"

namespace tinyscale::engine {
namespace {

constexpr int kMaxPasteRank = device::kPasteMaxRank;

// op_data begins with the device params (engine/kernels/device/README.md): every shape
// extended to rank 5 with leading 1s.
struct PasteData {
  device::PasteS8Params params;
};

Status check_element_type(NodeContext& ctx, core::DType dtype, const core::Tensor& t) {
  return dtype == core::DType::int8 ? check_int8_activation(ctx, t) : check_float32(ctx, t);
}

Status prepare_common(NodeContext& ctx, core::DType dtype) {
  if (Status s = check_arity(ctx, 1, 2); s != Status::ok) return s;
  const bool has_destination = ctx.num_inputs == 2;
  const core::Tensor& block = *ctx.inputs[has_destination ? 1 : 0].tensor;
  const core::Tensor& y = *ctx.outputs[0].tensor;
  const core::Attributes& a = ctx.node->attrs;
  const core::Shape& out = has_destination ? ctx.inputs[0].tensor->shape : a.new_shape;
  const std::size_t rank = out.size();
  if (rank < 1 || rank > static_cast<std::size_t>(kMaxPasteRank)) {
    return ctx.fail(Status::invalid_model, "paste '%s': output rank %d is outside 1..%d",
                    ctx.node->name.c_str(), static_cast<int>(rank), kMaxPasteRank);
  }
  if (block.shape.size() != rank || a.slice_begin.size() != rank) {
    return ctx.fail(Status::invalid_model,
                    "paste '%s': block rank %d and position of %d entries, the output rank is %d",
                    ctx.node->name.c_str(), static_cast<int>(block.shape.size()),
                    static_cast<int>(a.slice_begin.size()), static_cast<int>(rank));
  }
  for (std::size_t i = 0; i < rank; ++i) {
    if (out[i] < 1 || a.slice_begin[i] < 0 || block.shape[i] < 1 ||
        block.shape[i] > out[i] - a.slice_begin[i]) {
      return ctx.fail(Status::invalid_model,
                      "paste '%s': block at %lld of length %lld along axis %d is outside the "
                      "output's %lld",
                      ctx.node->name.c_str(), static_cast<long long>(a.slice_begin[i]),
                      static_cast<long long>(block.shape[i]), static_cast<int>(i),
                      static_cast<long long>(out[i]));
    }
  }
  if (y.shape != out) {
    return ctx.fail(Status::invalid_model, "paste '%s': output '%s' is %s, expected %s",
                    ctx.node->name.c_str(), y.name.c_str(), core::shape_string(y.shape).c_str(),
                    core::shape_string(out).c_str());
  }
  for (int k = 0; k < ctx.num_inputs; ++k) {
    if (Status s = check_element_type(ctx, dtype, *ctx.inputs[k].tensor); s != Status::ok) return s;
  }
  if (Status s = check_element_type(ctx, dtype, y); s != Status::ok) return s;
  if (dtype == core::DType::int8) {
    for (int k = 0; k < ctx.num_inputs; ++k) {
      const core::Tensor& x = *ctx.inputs[k].tensor;
      if (Status s = check_same_quantization(ctx, x, y); s != Status::ok) return s;
    }
  }
  if (Status s = check_device_size(ctx, y); s != Status::ok) return s;
  device::PasteS8Params& d = ctx.data<PasteData>().params;
  right_align(out, 1, d.out_dims);
  right_align(a.slice_begin, 0, d.begin);
  right_align(block.shape, 1, d.size);
  d.element_bytes = static_cast<std::int32_t>(core::dtype_size(dtype));
  return Status::ok;
}

// One prepare for both dtypes: the device kernel moves bytes, whatever they hold.
template <core::DType kDType>
Status prepare(NodeContext& ctx, std::int64_t* scratch_bytes) {
  if (Status s = prepare_common(ctx, kDType); s != Status::ok) return s;
  *scratch_bytes = device::paste_s8_scratch_bytes(ctx.data<PasteData>().params);
  return Status::ok;
}

// Both dtypes: the device kernel copies bytes. In place, input 0 is the output's buffer.
Status eval(const NodeContext& ctx) {
  const bool has_destination = ctx.num_inputs == 2;
  device::paste_s8(ctx.data<PasteData>().params,
                   has_destination ? ctx.inputs[0].as<const std::int8_t>() : nullptr,
                   ctx.inputs[has_destination ? 1 : 0].as<const std::int8_t>(),
                   ctx.outputs[0].as<std::int8_t>(), static_cast<std::int8_t*>(ctx.scratch));
  return Status::ok;
}

}  // namespace

extern const KernelInfo kPasteInt8{core::OpType::paste,
                                   core::DType::int8,
                                   sizeof(PasteData),
                                   prepare<core::DType::int8>,
                                   eval,
                                   nullptr,
                                   "paste_s8"};
extern const KernelInfo kPasteFloat32{core::OpType::paste, core::DType::float32, sizeof(PasteData),
                                      prepare<core::DType::float32>, eval};

}  // namespace tinyscale::engine
