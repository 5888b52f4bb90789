// The kernel table: every kernel file's KernelInfo objects, listed explicitly (no static
// self-registration). Adding a kernel = one extern line and one table entry.
#include <array>

#include "core/ops.h"
#include "engine/kernels/kernel.h"

namespace tinyscale::engine {

// -- kernels (one extern per KernelInfo; keep alphabetical) --
extern const KernelInfo kAddFloat32;
extern const KernelInfo kAddInt8;
extern const KernelInfo kAvgPoolFloat32;
extern const KernelInfo kAvgPoolInt8;
extern const KernelInfo kBatchNormFloat32;
extern const KernelInfo kClipFloat32;
extern const KernelInfo kClipInt8;
extern const KernelInfo kConcatFloat32;
extern const KernelInfo kConcatInt8;
extern const KernelInfo kConv2dFloat32;
extern const KernelInfo kConv2dInt8;
extern const KernelInfo kDequantizeInt8;
extern const KernelInfo kFullyConnectedFloat32;
extern const KernelInfo kFullyConnectedInt8;
extern const KernelInfo kGlobalAvgPoolFloat32;
extern const KernelInfo kGlobalAvgPoolInt8;
extern const KernelInfo kHardSwishFloat32;
extern const KernelInfo kHardSwishInt8;
extern const KernelInfo kLeakyReluFloat32;
extern const KernelInfo kLeakyReluInt8;
extern const KernelInfo kMaxPoolFloat32;
extern const KernelInfo kMaxPoolInt8;
extern const KernelInfo kMulFloat32;
extern const KernelInfo kMulInt8;
extern const KernelInfo kPadFloat32;
extern const KernelInfo kPadInt8;
extern const KernelInfo kPasteFloat32;
extern const KernelInfo kPasteInt8;
extern const KernelInfo kQuantizeFloat32;
extern const KernelInfo kQuantizeInt8;
extern const KernelInfo kReluFloat32;
extern const KernelInfo kReluInt8;
extern const KernelInfo kReshapeFloat32;
extern const KernelInfo kReshapeInt8;
extern const KernelInfo kResizeNearestFloat32;
extern const KernelInfo kResizeNearestInt8;
extern const KernelInfo kSigmoidFloat32;
extern const KernelInfo kSigmoidInt8;
extern const KernelInfo kSliceFloat32;
extern const KernelInfo kSliceInt8;
extern const KernelInfo kSoftmaxFloat32;
extern const KernelInfo kSoftmaxInt8;
extern const KernelInfo kSplitFloat32;
extern const KernelInfo kSplitInt8;
extern const KernelInfo kTanhFloat32;
extern const KernelInfo kTanhInt8;

namespace {

// -- table (same order as the externs above) --
constexpr std::array<const KernelInfo*, 46> kKernels = {
    &kAddFloat32,
    &kAddInt8,
    &kAvgPoolFloat32,
    &kAvgPoolInt8,
    &kBatchNormFloat32,
    &kClipFloat32,
    &kClipInt8,
    &kConcatFloat32,
    &kConcatInt8,
    &kConv2dFloat32,
    &kConv2dInt8,
    &kDequantizeInt8,
    &kFullyConnectedFloat32,
    &kFullyConnectedInt8,
    &kGlobalAvgPoolFloat32,
    &kGlobalAvgPoolInt8,
    &kHardSwishFloat32,
    &kHardSwishInt8,
    &kLeakyReluFloat32,
    &kLeakyReluInt8,
    &kMaxPoolFloat32,
    &kMaxPoolInt8,
    &kMulFloat32,
    &kMulInt8,
    &kPadFloat32,
    &kPadInt8,
    &kPasteFloat32,
    &kPasteInt8,
    &kQuantizeFloat32,
    &kQuantizeInt8,
    &kReluFloat32,
    &kReluInt8,
    &kReshapeFloat32,
    &kReshapeInt8,
    &kResizeNearestFloat32,
    &kResizeNearestInt8,
    &kSigmoidFloat32,
    &kSigmoidInt8,
    &kSliceFloat32,
    &kSliceInt8,
    &kSoftmaxFloat32,
    &kSoftmaxInt8,
    &kSplitFloat32,
    &kSplitInt8,
    &kTanhFloat32,
    &kTanhInt8,
};

}  // namespace

const KernelInfo* find_kernel(core::OpType op, core::DType input_dtype) {
  // A direct (op, dtype) table, built once: the cost model looks kernels up for every node
  // of every candidate network the solver tries.
  constexpr std::size_t kDtypes = 3;
  static const std::array<const KernelInfo*, core::kOpCount* kDtypes> by_op_and_dtype = [] {
    std::array<const KernelInfo*, core::kOpCount * kDtypes> table{};
    for (const KernelInfo* k : kKernels) {
      table[static_cast<std::size_t>(k->op) * kDtypes + static_cast<std::size_t>(k->input_dtype)] =
          k;
    }
    return table;
  }();
  return by_op_and_dtype[static_cast<std::size_t>(op) * kDtypes +
                         static_cast<std::size_t>(input_dtype)];
}

}  // namespace tinyscale::engine
