// paste (engine/kernels/paste.cpp, device/paste.h): the block written into the destination
// (or alone into an unwritten tensor), random shapes and positions against an index-by-index
// reference, in place over the destination, the invalid cases; and a chain of pastes that
// assembles a tensor from its tiles (patch-based execution's use) planned in one buffer and
// computing the whole-tensor result byte for byte.
#include "engine/kernels/device/paste.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/liveness.h"
#include "tests/engine/kernels/kernel_harness.h"

namespace tinyscale::engine::testing {
namespace {

using I8 = std::vector<std::int8_t>;
using Bytes = std::vector<std::uint8_t>;

core::Attributes at(core::Shape begin, core::Shape new_shape = {}) {
  core::Attributes a;
  a.slice_begin = std::move(begin);
  a.new_shape = std::move(new_shape);
  return a;
}

TEST(PasteFloat, WritesTheBlockIntoTheDestination) {
  // Destination [1, 3, 4, 1] of zeros; the block [1, 2, 2, 1] at row 1, column 2.
  const KernelRun r = run_kernel(core::OpType::paste,
                                 {float_tensor({1, 3, 4, 1}, std::vector<float>(12, 0.0f)),
                                  float_tensor({1, 2, 2, 1}, {1, 2, 3, 4})},
                                 at({0, 1, 2, 0}), float_output());
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.output_shape, (core::Shape{1, 3, 4, 1}));
  EXPECT_EQ(r.values<float>(), (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4}));
}

TEST(PasteInt8, TheBlockAloneLeavesTheRestUnwritten) {
  // No destination: a [2, 3] output of attrs.new_shape; the harness' 0x5a sentinel stays
  // outside the block.
  const KernelRun r = run_kernel(core::OpType::paste, {int8_tensor({1, 2}, 0.5f, -3, {-128, 127})},
                                 at({1, 1}, {2, 3}), int8_output(0.5f, -3));
  ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
  EXPECT_EQ(r.output_shape, (core::Shape{2, 3}));
  EXPECT_EQ(r.values<std::int8_t>(), (I8{0x5a, 0x5a, 0x5a, 0x5a, -128, 127}));
}

// out[begin + i] = block[i]; `out` starts as the destination (or whatever the output held).
Bytes reference_paste(const core::Shape& out_shape, const core::Shape& begin,
                      const core::Shape& block_shape, Bytes out, const Bytes& block,
                      std::size_t element_bytes) {
  const std::size_t rank = out_shape.size();
  const std::int64_t count = core::num_elements(block_shape);
  for (std::int64_t e = 0; e < count; ++e) {
    std::int64_t rest = e, offset = 0, stride = 1;
    for (std::size_t d = rank; d-- > 0;) {
      offset += (begin[d] + rest % block_shape[d]) * stride;
      rest /= block_shape[d];
      stride *= out_shape[d];
    }
    std::memcpy(out.data() + offset * static_cast<std::int64_t>(element_bytes),
                block.data() + e * static_cast<std::int64_t>(element_bytes), element_bytes);
  }
  return out;
}

TEST(PasteRandom, MatchesTheReferenceWithAndWithoutDestinationInPlaceOrNot) {
  std::mt19937 rng(15);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<unsigned>(hi - lo + 1));
  };
  for (int trial = 0; trial < 60; ++trial) {
    const bool float32 = trial % 2 == 1;
    const bool with_destination = trial % 4 < 2;
    const std::size_t element_bytes = float32 ? 4 : 1;
    const auto rank = static_cast<std::size_t>(pick(1, 5));
    core::Shape out(rank), block(rank), begin(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      out[d] = pick(1, 6);
      block[d] = pick(1, out[d]);
      begin[d] = pick(0, out[d] - block[d]);
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + ": block " + core::shape_string(block) +
                 " at " + core::shape_string(begin) + " in " + core::shape_string(out));
    const auto out_bytes = static_cast<std::size_t>(core::num_elements(out)) * element_bytes;
    const auto block_bytes = static_cast<std::size_t>(core::num_elements(block)) * element_bytes;
    Bytes destination(out_bytes), block_data(block_bytes);
    for (auto& b : destination) b = static_cast<std::uint8_t>(rng());
    for (auto& b : block_data) b = static_cast<std::uint8_t>(rng());

    std::vector<TensorSpec> inputs;
    const core::DType dtype = float32 ? core::DType::float32 : core::DType::int8;
    auto spec = [&](const core::Shape& shape, const Bytes& bytes) {
      TensorSpec s{shape, dtype, float32 ? core::Quantization{} : per_tensor(0.25f, 3), bytes,
                   false};
      return s;
    };
    if (with_destination) inputs.push_back(spec(out, destination));
    inputs.push_back(spec(block, block_data));
    const OutputSpec output = float32 ? float_output() : int8_output(0.25f, 3);
    const KernelRun r = run_kernel(core::OpType::paste, inputs,
                                   at(begin, with_destination ? core::Shape{} : out), output);
    ASSERT_EQ(r.prepare_status, Status::ok) << r.error;
    const Bytes expected =
        reference_paste(out, begin, block, with_destination ? destination : Bytes(out_bytes, 0x5a),
                        block_data, element_bytes);
    EXPECT_EQ(r.output, expected);

    // The device kernel in place (destination == output), as the arena plan runs it.
    device::PasteS8Params p{};
    const std::size_t lead = 5 - rank;
    for (std::size_t d = 0; d < 5; ++d) {
      p.out_dims[d] = static_cast<std::int32_t>(d < lead ? 1 : out[d - lead]);
      p.begin[d] = static_cast<std::int32_t>(d < lead ? 0 : begin[d - lead]);
      p.size[d] = static_cast<std::int32_t>(d < lead ? 1 : block[d - lead]);
    }
    p.element_bytes = static_cast<std::int32_t>(element_bytes);
    Bytes in_place = destination;
    auto* buffer = reinterpret_cast<std::int8_t*>(in_place.data());
    device::paste_s8(p, buffer, reinterpret_cast<const std::int8_t*>(block_data.data()), buffer,
                     nullptr);
    EXPECT_EQ(in_place, reference_paste(out, begin, block, destination, block_data, element_bytes));
    EXPECT_EQ(device::paste_s8_scratch_bytes(p), 0);
  }
}

void expect_one_line(const std::string& error) {
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST(PasteInt8, PrepareRejectsAnotherQuantization) {
  // A byte copy cannot rescale: the block, the destination and the output share one.
  KernelRun r =
      run_kernel(core::OpType::paste,
                 {int8_tensor({1, 2}, 0.5f, 0, {1, 2}), int8_tensor({1, 1}, 0.25f, 0, {3})},
                 at({0, 1}), int8_output(0.5f, 0));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  EXPECT_NE(r.error.find("must share quantization"), std::string::npos) << r.error;
  expect_one_line(r.error);
  r = run_kernel(core::OpType::paste,
                 {int8_tensor({1, 2}, 0.5f, 0, {1, 2}), int8_tensor({1, 1}, 0.5f, 0, {3})},
                 at({0, 1}), int8_output(0.5f, 1));
  EXPECT_EQ(r.prepare_status, Status::invalid_quantization);
  expect_one_line(r.error);
}

TEST(PasteFloat, PrepareRejectsAnOutputOfAnotherShape) {
  const KernelRun r = run_kernel(core::OpType::paste,
                                 {float_tensor({2, 2}, {1, 2, 3, 4}), float_tensor({1, 1}, {5})},
                                 at({1, 1}), {core::DType::float32, {}, core::Shape{2, 3}});
  EXPECT_EQ(r.prepare_status, Status::invalid_model);
  EXPECT_NE(r.error.find("output 'node' is 2x3, expected 2x2"), std::string::npos) << r.error;
  expect_one_line(r.error);
}

// Prepares the float kernel on a graph edited after shape inference; returns the message.
std::string prepare_edited(const core::Graph& g, Status expected) {
  const KernelInfo* k = find_kernel(core::OpType::paste, core::DType::float32);
  EXPECT_NE(k, nullptr);
  if (k == nullptr) return "";
  const core::Node& node = g.nodes.back();
  std::vector<TensorRef> refs;
  for (const int id : node.inputs) refs.push_back({&g.tensor(id), nullptr});
  refs.push_back({&g.tensor(node.outputs[0]), nullptr});
  Buffer op_data(op_data_bytes(*k, g, node));
  char error[256] = "";
  NodeContext ctx;
  ctx.graph = &g;
  ctx.node = &node;
  ctx.inputs = refs.data();
  ctx.num_inputs = static_cast<int>(node.inputs.size());
  ctx.outputs = &refs.back();
  ctx.num_outputs = 1;
  ctx.op_data = op_data.data();
  ctx.error = error;
  ctx.error_size = sizeof error;
  std::int64_t scratch = 0;
  EXPECT_EQ(k->prepare(ctx, &scratch), expected);
  expect_one_line(error);
  return error;
}

TEST(PasteFloat, PrepareRejectsInvalidAttributesAndArity) {
  // Shape inference refuses these first; a graph edited afterwards still fails in prepare.
  core::Graph g;
  const int d = g.add_input("d", {1, 4});
  const int b = g.add_input("b", {1, 2});
  const int y = g.add_node(core::OpType::paste, "p", {d, b}, at({0, 1}));
  g.mark_output(y);
  g.nodes[0].attrs.slice_begin = {0, 3};
  EXPECT_NE(prepare_edited(g, Status::invalid_model).find("block at 3 of length 2 along axis 1"),
            std::string::npos);
  g.nodes[0].attrs.slice_begin = {0, 0, 1};
  EXPECT_NE(prepare_edited(g, Status::invalid_model).find("the output rank is 2"),
            std::string::npos);
  g.nodes[0].attrs.slice_begin = {0, 1};
  g.nodes[0].inputs = {d, b, b};
  prepare_edited(g, Status::invalid_model);
  g.nodes[0].inputs = {b};  // the block alone, without new_shape
  EXPECT_NE(prepare_edited(g, Status::invalid_model).find("output rank 0 is outside 1..5"),
            std::string::npos);
}

// ---- a chain of pastes: patch-based execution's assembly of a layer's output

// x [1, 6, 8, 3] cut into four uneven tiles, each through relu, pasted back: the first
// paste holds the block alone, the next three write into the previous paste's output.
// `tiled` false: relu on the whole tensor.
core::Graph relu_graph(core::DType dtype, bool tiled) {
  core::Graph g;
  auto quantize = [&](int id) {
    if (dtype != core::DType::int8) return;
    g.tensor(id).quantization.scales = {0.1f};
    g.tensor(id).quantization.zero_points = {-5};
  };
  const core::Shape shape = {1, 6, 8, 3};
  const int x = g.add_input("x", shape, dtype);
  quantize(x);
  if (!tiled) {
    const int y = g.add_node(core::OpType::relu, "relu", {x});
    quantize(y);
    g.mark_output(y);
    return g;
  }
  const std::int64_t rows[] = {0, 2, 6}, cols[] = {0, 5, 8};
  int assembled = -1;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      const std::string tile = std::to_string(i) + std::to_string(j);
      core::Attributes cut;
      cut.slice_begin = {0, rows[i], cols[j], 0};
      cut.slice_size = {1, rows[i + 1] - rows[i], cols[j + 1] - cols[j], 3};
      const int s = g.add_node(core::OpType::slice, "slice" + tile, {x}, cut);
      quantize(s);
      const int r = g.add_node(core::OpType::relu, "relu" + tile, {s});
      quantize(r);
      const core::Shape begin = cut.slice_begin;
      assembled = assembled < 0
                      ? g.add_node(core::OpType::paste, "paste" + tile, {r}, at(begin, shape))
                      : g.add_node(core::OpType::paste, "paste" + tile, {assembled, r}, at(begin));
      quantize(assembled);
    }
  }
  g.mark_output(assembled);
  return g;
}

TEST(PasteChain, PlansOneBufferForTheWholeChain) {
  const core::Graph g = relu_graph(core::DType::int8, true);
  const ArenaPlan plan = plan_arena(g, {.int8_activations = true});
  std::vector<int> pastes;
  for (std::size_t n = 0; n < g.nodes.size(); ++n)
    if (g.nodes[n].op == core::OpType::paste) pastes.push_back(static_cast<int>(n));
  ASSERT_EQ(pastes.size(), 4u);
  // The first paste has no destination to write over; each later one writes over the
  // previous paste's output, never over its block.
  EXPECT_EQ(plan.buffers.in_place_input[static_cast<std::size_t>(pastes[0])], -1);
  const int first = g.nodes[static_cast<std::size_t>(pastes[0])].outputs[0];
  for (std::size_t k = 1; k < pastes.size(); ++k) {
    const core::Node& node = g.nodes[static_cast<std::size_t>(pastes[k])];
    EXPECT_EQ(plan.buffers.in_place_input[static_cast<std::size_t>(pastes[k])], node.inputs[0]);
    EXPECT_EQ(plan.buffers.tensor_buffer[static_cast<std::size_t>(node.outputs[0])],
              plan.buffers.tensor_buffer[static_cast<std::size_t>(first)]);
    EXPECT_NE(plan.buffers.tensor_buffer[static_cast<std::size_t>(node.inputs[1])],
              plan.buffers.tensor_buffer[static_cast<std::size_t>(first)]);
  }
  // Peak: x, the assembled output and one tile's slice (relu in place over it): 144 + 144 +
  // the largest tile (4 x 5 x 3 = 60), each rounded up to 16 bytes.
  EXPECT_EQ(plan.plan.peak_bytes, 144 + 144 + 64);
  const ArenaPlan separate = plan_arena(g, {.int8_activations = true, .in_place = false});
  EXPECT_GT(separate.plan.peak_bytes, plan.plan.peak_bytes);
}

TEST(PasteChain, NeitherABlockAloneNorADestinationThatIsItsOwnBlockIsOverwritten) {
  // The block alone, filling the whole output, and a tensor pasted over itself: both dying
  // at the paste, neither is written over (the kernel's block must not overlap its output).
  core::Graph g;
  const int x = g.add_input("x", {1, 4});
  const int r = g.add_node(core::OpType::relu, "relu", {x});
  const int alone = g.add_node(core::OpType::paste, "alone", {r}, at({0, 0}, {1, 4}));
  const int self = g.add_node(core::OpType::paste, "self", {alone, alone}, at({0, 0}));
  const int y = g.add_node(core::OpType::paste, "over", {self, x}, at({0, 0}));
  g.mark_output(y);
  const ArenaPlan plan = plan_arena(g, {});
  EXPECT_EQ(plan.buffers.in_place_input[0], -1);  // relu over the graph input
  EXPECT_EQ(plan.buffers.in_place_input[1], -1);
  EXPECT_EQ(plan.buffers.in_place_input[2], -1);
  EXPECT_EQ(plan.buffers.in_place_input[3], self);  // the control: over a dying destination
}

TEST(PasteChain, TiledReluEqualsWholeTensorReluByteForByte) {
  std::mt19937 rng(7);
  for (const core::DType dtype : {core::DType::int8, core::DType::float32}) {
    SCOPED_TRACE(dtype == core::DType::int8 ? "int8" : "float32");
    const core::Graph tiled = relu_graph(dtype, true), whole = relu_graph(dtype, false);
    CompiledModel a, b;
    char error[256] = "";
    ASSERT_EQ(a.compile(tiled, {}, error, sizeof error), Status::ok) << error;
    ASSERT_EQ(b.compile(whole, {}, error, sizeof error), Status::ok) << error;
    const auto bytes = static_cast<std::size_t>(6 * 8 * 3 * core::dtype_size(dtype));
    Bytes input(bytes);
    if (dtype == core::DType::int8) {
      for (auto& v : input) v = static_cast<std::uint8_t>(rng());
    } else {
      std::uniform_real_distribution<float> value(-1.0f, 1.0f);
      for (std::size_t i = 0; i < bytes / 4; ++i) {
        const float f = value(rng);
        std::memcpy(input.data() + 4 * i, &f, 4);
      }
    }
    for (CompiledModel* m : {&a, &b}) {
      std::memcpy(m->input(0).data, input.data(), bytes);
      ASSERT_EQ(m->run(), Status::ok);
    }
    const auto* ya = static_cast<const std::uint8_t*>(a.output(0).data);
    const auto* yb = static_cast<const std::uint8_t*>(b.output(0).data);
    EXPECT_EQ(Bytes(ya, ya + bytes), Bytes(yb, yb + bytes));
  }
}

}  // namespace
}  // namespace tinyscale::engine::testing
