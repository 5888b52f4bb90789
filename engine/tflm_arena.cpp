// The model of TensorFlow Lite Micro's arena (tflm_arena.h). Specification: TFLite Micro at
// commit 90b983c2 (../shared/tools/tflm/TFLM_COMMIT), files
//   micro_interpreter.cc         AllocateTensors(): the order of the allocations below
//   micro_allocator.cc           StartModelAllocation, FinishModelAllocation,
//                                CommitStaticMemoryPlan, AllocatePersistentTfLiteTensor
//   micro_allocation_info.cc     the lifetimes the planner is given
//   memory_planner/greedy_memory_planner.cc   the plan (GreedyMemoryPlanner)
//   arena_allocator/single_arena_buffer_allocator.cc   head, tail and their alignment
//   c/common.h (TF_LITE_STATIC_MEMORY)   the runtime structs' sizes on a 32-bit target
// and checked against that build's arena_used_bytes (tests/engine/tflm_arena_test.cpp).
#include "engine/tflm_arena.h"

#include <algorithm>
#include <cstddef>
#include <span>

namespace tinyscale::engine {
namespace {

// MicroArenaBufferAlignment(): kernels' persistent buffers, the planned buffers' sizes, the
// input/output tensor pointer arrays.
constexpr std::int64_t kArenaAlignment = 16;

// Sizes and alignments on a 32-bit Cortex-M: pointers, size_t and int 4 bytes; enums as small
// as their values allow (arm-none-eabi's AAPCS variant, -fshort-enums by default).
// The objects MicroInterpreter's constructor places at the tail, in order (MicroAllocator::
// Create): SingleArenaBufferAllocator (two interface vtable pointers, buffer_head_,
// buffer_tail_, head_, tail_, temp_, temp_buffer_count_, temp_buffer_ptr_check_sum_),
// GreedyMemoryPlanner (vtable pointer, buffer counts, five array pointers, list indices,
// need_to_calculate_offsets_), MicroAllocator (vtable pointer, the two allocators, the planner,
// the builtin data allocator, model_is_allocating_, scratch request count, max head usage,
// scratch_buffer_head_).
constexpr std::int64_t kSingleArenaBufferAllocatorBytes = 36;
constexpr std::int64_t kGreedyMemoryPlannerBytes = 44;
constexpr std::int64_t kMicroAllocatorBytes = 36;
// MicroBuiltinDataAllocator: vtable pointer + the persistent allocator.
constexpr std::int64_t kBuiltinDataAllocatorBytes = 8;
// SubgraphAllocations: node_and_registrations + tensors pointers.
constexpr std::int64_t kSubgraphAllocationsBytes = 8;
// TfLiteEvalTensor: data, dims, type.
constexpr std::int64_t kEvalTensorBytes = 12;
// NodeAndRegistration: TfLiteNode (inputs, outputs, intermediates, user_data, builtin_data,
// custom_initial_data, custom_initial_data_size) + the registration pointer.
constexpr std::int64_t kNodeAndRegistrationBytes = 32;
// ScratchBufferHandle: one data pointer.
constexpr std::int64_t kScratchBufferHandleBytes = 4;
// TfLiteTensor with TF_LITE_STATIC_MEMORY (the reduced struct, largest fields first):
// quantization (type, params), params (scale, zero_point), data, dims, bytes, then type,
// allocation_type and is_variable, one byte each: arm-none-eabi's ABI uses short enums.
constexpr std::int64_t kTfLiteTensorBytes = 32;
// TfLiteAffineQuantization: scale, zero_point, quantized_dimension.
constexpr std::int64_t kAffineQuantizationBytes = 12;
constexpr int kWordAlignment = 4;

// The tail: allocations from the arena's end downwards (AllocatePersistentBuffer:
// tail = AlignDown(tail - size, alignment)). The arena's end is 16-byte aligned (MicroAllocator::
// Create aligns the arena; the tools' arena is 16-aligned with a size a multiple of 16).
class Tail {
 public:
  void allocate(std::int64_t bytes, std::int64_t alignment, std::int64_t* item) {
    const std::int64_t before = used_;
    std::int64_t end = used_ + bytes;  // distance of the new block's start from the end
    end = (end + alignment - 1) / alignment * alignment;
    used_ = end;
    if (item != nullptr) *item += bytes;
    padding_ += (used_ - before) - bytes;
  }
  std::int64_t used() const { return used_; }
  std::int64_t padding() const { return padding_; }

 private:
  std::int64_t used_ = 0;
  std::int64_t padding_ = 0;
};

struct Buffer {
  std::int64_t size = 0;
  int first = -1;
  int last = -1;
};

// GreedyMemoryPlanner::CalculateOffsetsIfNeeded + GetMaximumMemorySize for online buffers:
// the buffers are listed in reverse order of addition, stably sorted by size descending (so
// among equal sizes the later-added buffer goes first), then each is placed at the lowest
// offset of the offset-ordered list of placed buffers whose lifetimes overlap its own where the
// gap to the next such buffer holds it.
std::int64_t greedy_plan_peak(std::span<const Buffer> buffers) {
  const int n = static_cast<int>(buffers.size());
  if (n == 0) return 0;
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = n - 1 - i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return buffers[static_cast<std::size_t>(a)].size > buffers[static_cast<std::size_t>(b)].size;
  });
  // A placed buffer carries what the scan below reads (its span and lifetime), so the scan
  // walks one contiguous array.
  struct Placed {
    std::int64_t offset;
    std::int64_t end;
    int first;
    int last;
  };
  std::vector<Placed> placed;  // sorted by offset; equal offsets keep insertion order
  placed.reserve(static_cast<std::size_t>(n));
  std::int64_t peak = 0;
  for (const int id : order) {
    const Buffer& wanted = buffers[static_cast<std::size_t>(id)];
    std::int64_t candidate = 0;
    for (const Placed& p : placed) {
      if (p.first > wanted.last || wanted.first > p.last) continue;  // lifetimes apart
      if (p.offset - candidate >= wanted.size) break;
      candidate = std::max(candidate, p.end);
    }
    // TFLM inserts the new entry before the first entry whose offset is strictly greater
    // (at the front when it is smaller than the first entry's).
    const auto at = std::upper_bound(placed.begin(), placed.end(), candidate,
                                     [](std::int64_t c, const Placed& p) { return c < p.offset; });
    placed.insert(at, Placed{candidate, candidate + wanted.size, wanted.first, wanted.last});
    peak = std::max(peak, candidate + wanted.size);
  }
  return peak;
}

std::int64_t align_up(std::int64_t v, std::int64_t a) { return (v + a - 1) / a * a; }

}  // namespace

TflmArena predict_tflm_arena(const TfliteLayout& model, TflmKernels kernels,
                             TflmArenaDetail detail) {
  TflmArena arena;
  Tail tail;
  std::int64_t runtime_objects = 0;
  std::int64_t eval_tensors = 0;
  std::int64_t nodes = 0;
  std::int64_t builtin_data = 0;
  std::int64_t op_data = 0;
  std::int64_t scratch_handles = 0;
  std::int64_t io_tensors = 0;

  // MicroInterpreter's constructor.
  tail.allocate(kSingleArenaBufferAllocatorBytes, kWordAlignment, &runtime_objects);
  tail.allocate(kGreedyMemoryPlannerBytes, kWordAlignment, &runtime_objects);
  tail.allocate(kMicroAllocatorBytes, kWordAlignment, &runtime_objects);
  // AllocateTensors: StartModelAllocation.
  tail.allocate(kBuiltinDataAllocatorBytes, kWordAlignment, &runtime_objects);
  tail.allocate(kSubgraphAllocationsBytes * model.subgraphs, kWordAlignment, &runtime_objects);
  const auto tensor_count = static_cast<std::int64_t>(model.tensors.size());
  const auto op_count = static_cast<std::int64_t>(model.operators.size());
  tail.allocate(kEvalTensorBytes * tensor_count, kWordAlignment, &eval_tensors);
  tail.allocate(kNodeAndRegistrationBytes * op_count, kWordAlignment, &nodes);

  std::vector<TflmKernelNeeds> needs;
  needs.reserve(model.operators.size());
  for (std::size_t op = 0; op < model.operators.size(); ++op) {
    needs.push_back(tflm_kernel_needs(model, op, kernels));
    if (!needs.back().known) {
      arena.exact = false;
      arena.notes.push_back(needs.back().unknown);
    }
  }
  // PrepareNodeAndRegistrationDataFromFlatbuffer: each operator's builtin data.
  for (const TflmKernelNeeds& n : needs) {
    if (n.builtin_data.bytes > 0) {
      tail.allocate(n.builtin_data.bytes, n.builtin_data.alignment, &builtin_data);
    }
  }
  // InitSubgraphs, then PrepareSubgraphs.
  for (const TflmKernelNeeds& n : needs) {
    for (const TflmBlock& b : n.init) tail.allocate(b.bytes, b.alignment, &op_data);
  }
  std::vector<Buffer> buffers;
  buffers.reserve(model.tensors.size());
  std::vector<Buffer> scratch;
  for (std::size_t op = 0; op < needs.size(); ++op) {
    for (const TflmBlock& b : needs[op].prepare) tail.allocate(b.bytes, b.alignment, &op_data);
    for (const std::int64_t bytes : needs[op].scratch) {
      const int scope = static_cast<int>(op) + 1;
      scratch.push_back(Buffer{bytes, scope, scope});
      arena.scratch_bytes += bytes;
    }
  }
  // FinishModelAllocation: scratch buffer handles, then the plan (variables first).
  if (!scratch.empty()) {
    tail.allocate(kScratchBufferHandleBytes * static_cast<std::int64_t>(scratch.size()),
                  kWordAlignment, &scratch_handles);
  }
  std::int64_t variables = 0;
  for (const TfliteTensorLayout& t : model.tensors) {
    if (t.variable && !t.constant) tail.allocate(t.bytes(), kArenaAlignment, &variables);
  }

  // The lifetimes (AllocationInfoBuilder): scope 0 is the subgraph's start, operator i runs
  // at scope i + 1.
  std::vector<Buffer> lifetimes(model.tensors.size());
  const auto first_created = [&](std::int32_t t, int scope) {
    if (t < 0 || static_cast<std::size_t>(t) >= lifetimes.size()) return;
    lifetimes[static_cast<std::size_t>(t)].first = scope;
    lifetimes[static_cast<std::size_t>(t)].last = scope;
  };
  const auto last_used = [&](std::int32_t t, int scope) {
    if (t < 0 || static_cast<std::size_t>(t) >= lifetimes.size()) return;
    lifetimes[static_cast<std::size_t>(t)].last = scope;
  };
  for (const std::int32_t t : model.inputs) first_created(t, 0);
  for (const std::int32_t t : model.outputs) first_created(t, 0);
  for (std::size_t op = 0; op < model.operators.size(); ++op) {
    const int scope = static_cast<int>(op) + 1;
    const TfliteOperatorLayout& o = model.operators[op];
    for (const std::int32_t t : o.outputs) first_created(t, scope);
    for (const std::int32_t t : o.inputs) last_used(t, scope);
    for (const std::int32_t t : o.outputs) last_used(t, scope);
  }
  const int end_scope = static_cast<int>(model.operators.size());
  for (const std::int32_t t : model.outputs) last_used(t, end_scope);

  for (std::size_t i = 0; i < model.tensors.size(); ++i) {
    const TfliteTensorLayout& t = model.tensors[i];
    const std::int64_t bytes = t.bytes();
    if (t.constant || t.variable || bytes == 0) continue;
    buffers.push_back(
        Buffer{align_up(bytes, kArenaAlignment), lifetimes[i].first, lifetimes[i].last});
  }
  const std::size_t tensor_buffers = buffers.size();
  for (Buffer& s : scratch) {
    s.size = align_up(s.size, kArenaAlignment);
    buffers.push_back(s);
  }
  arena.head_bytes = greedy_plan_peak(buffers);
  if (detail == TflmArenaDetail::full) {
    arena.activation_bytes =
        greedy_plan_peak(std::span<const Buffer>(buffers).first(tensor_buffers));
  }

  // The TfLiteTensors the interpreter keeps for its inputs and outputs.
  const auto io = [&](const std::vector<std::int32_t>& list) {
    tail.allocate(4 * static_cast<std::int64_t>(list.size()), kArenaAlignment, &io_tensors);
    for (const std::int32_t t : list) {
      tail.allocate(kTfLiteTensorBytes, kWordAlignment, &io_tensors);
      if (t < 0 || static_cast<std::size_t>(t) >= model.tensors.size()) continue;
      const TfliteTensorLayout& tensor = model.tensors[static_cast<std::size_t>(t)];
      if (tensor.quantized && tensor.scales > 0 && tensor.zero_points > 0) {
        tail.allocate(kAffineQuantizationBytes, kWordAlignment, &io_tensors);
        tail.allocate(4 + 4 * static_cast<std::int64_t>(tensor.scales), kWordAlignment,
                      &io_tensors);
      }
    }
  };
  io(model.inputs);
  io(model.outputs);

  arena.tail_bytes = tail.used();
  arena.used_bytes = arena.head_bytes + arena.tail_bytes;
  if (detail == TflmArenaDetail::figures) return arena;
  arena.items = {
      {"runtime objects (allocator, planner)", runtime_objects},
      {"TfLiteEvalTensor x " + std::to_string(tensor_count), eval_tensors},
      {"NodeAndRegistration x " + std::to_string(op_count), nodes},
      {"builtin data (operator options)", builtin_data},
      {"kernel op data (Init + Prepare)", op_data},
      {"scratch buffer handles", scratch_handles},
      {"variable tensors", variables},
      {"input/output TfLiteTensors", io_tensors},
      {"alignment padding", tail.padding()},
  };
  return arena;
}

}  // namespace tinyscale::engine
