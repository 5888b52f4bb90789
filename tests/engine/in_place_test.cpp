// In-place execution (engine/liveness.h): on random graphs (chains with skips, broadcasts,
// concatenations, element-wise ops, pooling, depthwise convolutions, pastes of tiles), a model
// compiled with the in-place plan on a poisoned arena computes every tensor exactly as a model
// whose every tensor has bytes of its own (ArenaOptions::no_reuse). A write that clobbered a
// value still to be read would change a later tensor; a read of bytes nobody wrote would show
// the poison.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace tinyscale::engine {
namespace {

constexpr float kScale = 0.05f;
constexpr std::int64_t kZeroPoint = -3;

void quantize_as(core::Graph& g, int id, float scale, std::int64_t zero_point) {
  core::Tensor& t = g.tensors[static_cast<std::size_t>(id)];
  if (t.dtype != core::DType::int8) return;
  t.quantization.scales = {scale};
  t.quantization.zero_points = {zero_point};
}

// A random graph over `dtype` (int8: one common quantization, sigmoid and tanh requantized
// back to it). Every tensor has shape [1, H, W, C]; the channel count grows by concatenation.
core::Graph random_graph(std::mt19937& rng, core::DType dtype) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  core::Graph g;
  const std::int64_t h = 3 + pick(5), w = 3 + pick(5);
  const int x = g.add_input("x", {1, h, w, 4 << pick(2)}, dtype);
  quantize_as(g, x, kScale, kZeroPoint);
  std::vector<int> made = {x};
  // A recent tensor mostly, sometimes an older one (a skip).
  auto operand = [&] {
    const int n = static_cast<int>(made.size());
    return made[static_cast<std::size_t>(pick(3) == 0 ? pick(n) : n - 1 - pick(std::min(n, 2)))];
  };
  auto node = [&](core::OpType op, std::vector<int> inputs, const core::Attributes& attrs = {}) {
    const int y = g.add_node(op, "n" + std::to_string(g.nodes.size()), std::move(inputs), attrs);
    quantize_as(g, y, kScale, kZeroPoint);
    made.push_back(y);
    return y;
  };
  // Sigmoid and tanh have fixed int8 output scales; a requantization returns to the common one.
  auto fixed_scale_activation = [&](core::OpType op, int in) {
    const int y = node(op, {in});
    if (dtype != core::DType::int8) return y;
    made.pop_back();  // only its requantized copy is an operand
    if (op == core::OpType::sigmoid) quantize_as(g, y, 1.0f / 256, -128);
    if (op == core::OpType::tanh) quantize_as(g, y, 1.0f / 128, 0);
    return node(core::OpType::quantize, {y});
  };
  const int steps = 6 + pick(14);
  for (int s = 0; s < steps; ++s) {
    const int a = operand();
    const core::Shape& shape = g.tensor(a).shape;
    switch (pick(13)) {
      case 0:
        node(core::OpType::relu, {a});
        break;
      case 1: {
        core::Attributes clip;
        clip.clip_min = 0.0f;
        clip.clip_max = 3.0f;
        node(core::OpType::clip, {a}, clip);
        break;
      }
      case 2:
        node(core::OpType::hard_swish, {a});
        break;
      case 3:
        node(core::OpType::leaky_relu, {a});
        break;
      case 4:
        fixed_scale_activation(pick(2) ? core::OpType::sigmoid : core::OpType::tanh, a);
        break;
      case 5: {  // add or mul of two same-shaped tensors (any two, even a tensor with itself)
        std::vector<int> same;
        for (const int t : made)
          if (g.tensor(t).shape == shape) same.push_back(t);
        const int b = same[static_cast<std::size_t>(pick(static_cast<int>(same.size())))];
        node(pick(2) ? core::OpType::add : core::OpType::mul,
             pick(2) ? std::vector{a, b} : std::vector{b, a});
        break;
      }
      case 6: {  // squeeze-excite: a per-channel vector broadcast over the tensor
        const int se =
            fixed_scale_activation(core::OpType::sigmoid, node(core::OpType::global_avg_pool, {a}));
        const bool mul = pick(2);
        node(mul ? core::OpType::mul : core::OpType::add,
             pick(2) ? std::vector{a, se} : std::vector{se, a});
        break;
      }
      case 7: {  // concatenation with a same-sized tensor along channels
        std::vector<int> same;
        for (const int t : made) {
          const core::Shape& o = g.tensor(t).shape;
          if (o[1] == shape[1] && o[2] == shape[2] && o[3] <= 16) same.push_back(t);
        }
        if (shape[3] > 16) break;
        core::Attributes cat;
        cat.axis = 3;
        node(core::OpType::concat,
             {a, same[static_cast<std::size_t>(pick(static_cast<int>(same.size())))]}, cat);
        break;
      }
      case 8: {  // a 3x3 pooling that keeps the shape (reads neighbours)
        core::Attributes pool;
        pool.kernel_h = pool.kernel_w = 3;
        pool.pad_top = pool.pad_bottom = pool.pad_left = pool.pad_right = 1;
        node(pick(2) ? core::OpType::max_pool : core::OpType::avg_pool, {a}, pool);
        break;
      }
      case 9: {
        core::Attributes reshape;
        reshape.new_shape = shape;
        node(core::OpType::reshape, {a}, reshape);
        break;
      }
      case 10: {  // depthwise 3x3: stride 1 or 2, multiplier 1 or 2, same or valid padding
        const std::int64_t c = shape[3];
        const bool valid = pick(3) == 0 && shape[1] >= 3 && shape[2] >= 3;
        const int multiplier = c <= 16 && pick(4) == 0 ? 2 : 1;
        core::Attributes dw;
        dw.kernel_h = dw.kernel_w = 3;
        dw.stride_h = dw.stride_w = pick(4) == 0 ? 2 : 1;
        dw.pad_top = dw.pad_bottom = dw.pad_left = dw.pad_right = valid ? 0 : 1;
        dw.groups = static_cast<int>(c);
        const std::int64_t out_c = c * multiplier;
        const std::string name = "dw" + std::to_string(g.nodes.size());
        const int weight = g.add_constant(name + ".w", {out_c, 3, 3, 1}, dtype);
        const int bias = g.add_constant(name + ".b", {out_c},
                                        dtype == core::DType::int8 ? core::DType::int32 : dtype);
        core::Tensor& wt = g.tensor(weight);
        core::Tensor& bt = g.tensor(bias);
        wt.data.resize(static_cast<std::size_t>(out_c * 9 * core::dtype_size(wt.dtype)));
        bt.data.resize(static_cast<std::size_t>(out_c * core::dtype_size(bt.dtype)));
        if (dtype == core::DType::int8) {
          for (auto& v : wt.mutable_values<std::int8_t>()) v = static_cast<std::int8_t>(rng());
          for (std::int64_t k = 0; k < out_c; ++k) {
            const float ws = 0.002f + 0.002f * static_cast<float>(pick(4));
            wt.quantization.scales.push_back(ws);
            wt.quantization.zero_points.push_back(0);
            bt.quantization.scales.push_back(kScale * ws);
            bt.quantization.zero_points.push_back(0);
            bt.mutable_values<std::int32_t>()[static_cast<std::size_t>(k)] = pick(2001) - 1000;
          }
          wt.quantization.axis = 0;
        } else {
          std::uniform_real_distribution<float> value(-0.5f, 0.5f);
          for (auto& v : wt.mutable_values<float>()) v = value(rng);
          for (auto& v : bt.mutable_values<float>()) v = value(rng);
        }
        node(core::OpType::conv2d, {a, weight, bias}, dw);
        break;
      }
      case 11: {  // cut into two row tiles, one through relu, pasted back (patch-based)
        if (shape[1] < 2) break;
        const core::Shape full = shape;  // node() may move the tensors
        const std::int64_t rows = 1 + pick(static_cast<int>(full[1]) - 1);
        core::Attributes top, bottom;
        top.slice_begin = {0, 0, 0, 0};
        top.slice_size = {1, rows, full[2], full[3]};
        bottom.slice_begin = {0, rows, 0, 0};
        bottom.slice_size = {1, full[1] - rows, full[2], full[3]};
        const int t = node(core::OpType::relu, {node(core::OpType::slice, {a}, top)});
        const int b = node(core::OpType::slice, {a}, bottom);
        core::Attributes first, second;
        first.slice_begin = top.slice_begin;
        second.slice_begin = bottom.slice_begin;
        // Into a fresh tensor (the block alone), or over a same-shaped tensor as destination
        // (in place when it dies there, else copied first).
        std::vector<int> same;
        for (const int m : made)
          if (g.tensor(m).shape == full) same.push_back(m);
        const int d = same[static_cast<std::size_t>(pick(static_cast<int>(same.size())))];
        int pasted;
        if (pick(2)) {
          first.new_shape = full;
          pasted = node(core::OpType::paste, {t}, first);
          made.pop_back();  // its bottom rows hold nothing yet: no other node reads it
        } else {
          pasted = node(core::OpType::paste, {d, t}, first);
        }
        node(core::OpType::paste, {pasted, b}, second);
        break;
      }
      default:
        // A graph output that later nodes still read: never overwritten.
        g.mark_output(a);
        break;
    }
  }
  if (std::find(g.outputs.begin(), g.outputs.end(), made.back()) == g.outputs.end())
    g.mark_output(made.back());
  return g;
}

// Runs `model` on an arena filled with `poison`, recording every node's outputs right after
// the node (before anything may reuse their bytes) and the graph outputs at the end.
std::vector<std::vector<std::uint8_t>> run_poisoned(CompiledModel& model, std::uint8_t poison,
                                                    const std::vector<std::uint8_t>& input) {
  const core::Graph& g = model.graph();
  const ArenaPlan& plan = model.arena_plan();
  auto* arena = static_cast<std::uint8_t*>(model.input(0).data) -
                plan.tensor_offsets[static_cast<std::size_t>(g.inputs[0])];
  std::memset(arena, poison, static_cast<std::size_t>(plan.plan.peak_bytes));
  std::memcpy(model.input(0).data, input.data(), input.size());
  struct Recorder {
    const CompiledModel* model;
    std::vector<std::vector<std::uint8_t>> values;
  } recorder{&model, std::vector<std::vector<std::uint8_t>>(g.tensors.size())};
  auto copy = [](const CompiledModel& m, int id) {
    const core::Tensor& t = m.graph().tensor(id);
    const auto* data = static_cast<const std::uint8_t*>(m.tensor(id).data);
    return std::vector<std::uint8_t>(
        data, data + core::num_elements(t.shape) * core::dtype_size(t.dtype));
  };
  auto after_node = [](void* user, int n) {
    auto* r = static_cast<Recorder*>(user);
    for (const int id : r->model->graph().nodes[static_cast<std::size_t>(n)].outputs) {
      const core::Tensor& t = r->model->graph().tensor(id);
      const auto* data = static_cast<const std::uint8_t*>(r->model->tensor(id).data);
      r->values[static_cast<std::size_t>(id)].assign(
          data, data + core::num_elements(t.shape) * core::dtype_size(t.dtype));
    }
  };
  EXPECT_EQ(model.run(after_node, &recorder), Status::ok);
  for (std::size_t k = 0; k < g.outputs.size(); ++k) {
    recorder.values.push_back(copy(model, g.outputs[k]));  // after the whole run
  }
  return recorder.values;
}

void check_random_graphs(core::DType dtype, int count, int* in_place_nodes, int* in_place_depthwise,
                         int* in_place_pastes) {
  std::mt19937 rng(dtype == core::DType::int8 ? 15 : 51);
  for (int i = 0; i < count; ++i) {
    const core::Graph g = random_graph(rng, dtype);
    SCOPED_TRACE("graph " + std::to_string(i) + ", " + std::to_string(g.nodes.size()) + " nodes");
    CompiledModel reference, in_place;
    char error[256] = "";
    ASSERT_EQ(reference.compile(g, {.no_reuse = true}, error, sizeof error), Status::ok) << error;
    // Every depthwise convolution that may run in place does (deployment keeps only those
    // that lower the peak): the in-place path is what is under test.
    ASSERT_EQ(in_place.compile(g, {.out_of_place_depthwise = false}, error, sizeof error),
              Status::ok)
        << error;
    const std::vector<int>& overwritten = in_place.arena_plan().buffers.in_place_input;
    for (std::size_t n = 0; n < overwritten.size(); ++n) {
      *in_place_nodes += overwritten[n] >= 0;
      *in_place_depthwise += overwritten[n] >= 0 && g.nodes[n].op == core::OpType::conv2d;
      *in_place_pastes += overwritten[n] >= 0 && g.nodes[n].op == core::OpType::paste;
    }
    EXPECT_LE(in_place.arena_plan().plan.peak_bytes, reference.arena_plan().plan.peak_bytes);

    const core::Tensor& x = g.tensor(g.inputs[0]);
    std::vector<std::uint8_t> input(
        static_cast<std::size_t>(core::num_elements(x.shape) * core::dtype_size(x.dtype)));
    if (dtype == core::DType::int8) {
      for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    } else {
      std::uniform_real_distribution<float> value(-4.0f, 4.0f);
      for (std::size_t k = 0; k < input.size(); k += 4) {
        const float v = value(rng);
        std::memcpy(&input[k], &v, 4);
      }
    }
    std::vector<char> partial(g.tensors.size(), 0);
    for (const core::Node& node : g.nodes) {
      if (node.op == core::OpType::paste && node.inputs.size() == 1) {
        partial[static_cast<std::size_t>(node.outputs[0])] = 1;
      }
    }
    const auto expected = run_poisoned(reference, 0x00, input);
    for (const std::uint8_t poison : {std::uint8_t{0x5a}, std::uint8_t{0xc3}}) {
      const auto got = run_poisoned(in_place, poison, input);
      ASSERT_EQ(got.size(), expected.size());
      for (std::size_t t = 0; t < got.size(); ++t) {
        // A paste of the block alone leaves the rest of its output unwritten (the next paste
        // fills it): bytes that differ between plans by design.
        if (t < g.tensors.size() && partial[t]) continue;
        EXPECT_EQ(got[t], expected[t])
            << (t < g.tensors.size() ? "tensor '" + g.tensors[t].name + "'"
                                     : "graph output " + std::to_string(t - g.tensors.size()))
            << " differs (poison " << int{poison} << ")";
      }
    }
  }
}

TEST(InPlace, RandomInt8GraphsComputeWhatANoReusePlanComputes) {
  int in_place_nodes = 0, in_place_depthwise = 0, in_place_pastes = 0;
  check_random_graphs(core::DType::int8, 150, &in_place_nodes, &in_place_depthwise,
                      &in_place_pastes);
  // The property is only tested if nodes did run in place.
  EXPECT_GT(in_place_nodes, 150);
  EXPECT_GT(in_place_depthwise, 20);
  EXPECT_GT(in_place_pastes, 20);
}

TEST(InPlace, RandomFloatGraphsComputeWhatANoReusePlanComputes) {
  int in_place_nodes = 0, in_place_depthwise = 0, in_place_pastes = 0;
  check_random_graphs(core::DType::float32, 60, &in_place_nodes, &in_place_depthwise,
                      &in_place_pastes);
  EXPECT_GT(in_place_nodes, 60);
  EXPECT_GT(in_place_pastes, 5);
  EXPECT_EQ(in_place_depthwise, 0);  // the float kernel has no in-place path
}

// The no-reuse plan really keeps every tensor apart, and the in-place one shares buffers.
TEST(InPlace, NoReusePlanSharesNothing) {
  std::mt19937 rng(7);
  const core::Graph g = random_graph(rng, core::DType::int8);
  CompiledModel reference, in_place;
  char error[256] = "";
  ASSERT_EQ(reference.compile(g, {.no_reuse = true}, error, sizeof error), Status::ok) << error;
  ASSERT_EQ(in_place.compile(g, {.in_place = false}, error, sizeof error), Status::ok) << error;
  std::int64_t total = 0;
  for (const PlannerBuffer& b : reference.arena_plan().buffers.buffers)
    total += align_up(b.size, kArenaAlignment);
  EXPECT_EQ(reference.arena_plan().plan.peak_bytes, total);
  for (const int n : in_place.arena_plan().buffers.in_place_input) EXPECT_EQ(n, -1);
}

}  // namespace
}  // namespace tinyscale::engine
