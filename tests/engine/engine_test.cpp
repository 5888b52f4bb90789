#include "engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "blocks/builder.h"
#include "core/passes.h"

// Counts heap allocations, so a test can assert that run() makes none, and keeps the
// largest, so a test can assert that an oversized model is refused before allocating.
static std::atomic<long> g_allocations{0};
static std::atomic<std::size_t> g_largest_allocation{0};
void* operator new(std::size_t size) {
  ++g_allocations;
  for (std::size_t seen = g_largest_allocation; size > seen;) {
    if (g_largest_allocation.compare_exchange_weak(seen, size)) break;
  }
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's temporary buffer uses it), so every pointer that
// reaches the operator delete below came from malloc.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++g_allocations;
  for (std::size_t seen = g_largest_allocation; size > seen;) {
    if (g_largest_allocation.compare_exchange_weak(seen, size)) break;
  }
  return std::malloc(size ? size : 1);
}
// Not inlined: gcc would otherwise see free() on operator new's pointer and warn.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tinyscale::engine {
namespace {

// A small float network: conv 3x3 -> relu (fused after lowering) -> global average -> fc.
core::Graph small_float_net() {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 5});
  int x = b.input("input", 3, 12, 12);
  x = b.conv2d("conv", x,
               {.out_channels = 8, .kernel = 3, .stride = 2, .pad = {1, 1, 1, 1}, .bias = true});
  x = b.activation("relu", x, blocks::Activation::relu);
  x = b.global_avg_pool("pool", x);
  x = b.flatten("flatten", x);
  x = b.fully_connected("fc", x, 4, true);
  g.mark_output(x);
  return core::lower_for_deployment(std::move(g));
}

TEST(Engine, CompilesRunsAndAccountsRam) {
  const core::Graph g = small_float_net();
  CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(g, {}, error, sizeof error), Status::ok) << error;
  EXPECT_EQ(model.num_inputs(), 1);
  EXPECT_EQ(model.num_outputs(), 1);
  auto fill = [&] {
    for (int k = 0; k < 12 * 12 * 3; ++k)
      model.input(0).as<float>()[k] = static_cast<float>(k % 7) / 7.0f - 0.5f;
  };
  fill();
  ASSERT_EQ(model.run(), Status::ok);
  float first[4];
  std::memcpy(first, model.output(0).data, sizeof first);
  fill();  // the input's bytes are reused once it is consumed, as in TFLite Micro
  ASSERT_EQ(model.run(), Status::ok);
  EXPECT_EQ(std::memcmp(first, model.output(0).data, sizeof first), 0);  // deterministic
  const RamBreakdown& ram = model.ram();
  EXPECT_EQ(ram.activation_arena, model.arena_plan().plan.peak_bytes);
  EXPECT_EQ(ram.runtime_structures,
            kRuntimeBytesPerModel + kRuntimeBytesPerTensor * static_cast<long>(g.tensors.size()) +
                kRuntimeBytesPerNode * static_cast<long>(g.nodes.size()));
  EXPECT_EQ(model.arena_bytes(), ram.activation_arena + ram.kernel_state + ram.runtime_structures);
  // Float activations are planned at 4 bytes per element: input 432 floats + conv output 288.
  EXPECT_GE(ram.activation_arena, (432 + 288) * 4);
}

// Activations split over two memory regions compute exactly what one arena computes.
TEST(Engine, RegionsSplitTheArenaAndRunTheSame) {
  const core::Graph g = small_float_net();
  auto fill = [](CompiledModel& m) {
    for (int k = 0; k < 12 * 12 * 3; ++k)
      m.input(0).as<float>()[k] = static_cast<float>(k % 5) / 5.0f - 0.3f;
  };
  CompiledModel single;
  char error[256] = "";
  ASSERT_EQ(single.compile(g, {}, error, sizeof error), Status::ok) << error;
  fill(single);
  ASSERT_EQ(single.run(), Status::ok);
  const std::int64_t fixed = single.ram().kernel_state + single.ram().runtime_structures;
  // The input (432 floats) and the convolution's output (288 floats) are live together; the
  // first region holds the input and the fixed bytes, the second the output.
  const std::int64_t capacities[] = {fixed + 1800, 1200};
  CompiledModel split;
  ASSERT_EQ(split.compile(g, {.region_capacities = capacities}, error, sizeof error), Status::ok)
      << error;
  const ArenaPlan& plan = split.arena_plan();
  ASSERT_TRUE(plan.fits);
  EXPECT_EQ(plan.fixed_region, 0);
  EXPECT_LE(plan.region_used_bytes(0, fixed), capacities[0]);
  EXPECT_LE(plan.region_used_bytes(1, fixed), capacities[1]);
  EXPECT_GT(plan.region_peak_bytes[1], 0);
  EXPECT_EQ(split.ram().activation_arena, plan.region_peak_bytes[0] + plan.region_peak_bytes[1]);
  fill(split);
  ASSERT_EQ(split.run(), Status::ok);
  EXPECT_EQ(std::memcmp(single.output(0).data, split.output(0).data, 4 * sizeof(float)), 0);
  // Too little room: the model still compiles and runs on the host, and says it does not fit.
  const std::int64_t tight[] = {fixed + 1800};
  CompiledModel cramped;
  ASSERT_EQ(cramped.compile(g, {.region_capacities = tight}, error, sizeof error), Status::ok);
  EXPECT_FALSE(cramped.arena_plan().fits);
}

TEST(Engine, RunDoesNotAllocate) {
  const core::Graph g = small_float_net();
  CompiledModel model;
  char error[256] = "";
  ASSERT_EQ(model.compile(g, {}, error, sizeof error), Status::ok) << error;
  const long before = g_allocations.load();
  ASSERT_EQ(model.run(), Status::ok);
  EXPECT_EQ(g_allocations.load(), before);
}

TEST(Engine, UnsupportedOpsAreNamed) {
  core::Graph g;
  blocks::Builder b(g, {.materialize_weights = true, .seed = 1});
  int x = b.input("input", 4, 4, 4);
  // Not lowered here: no kernel runs adaptive_avg_pool (lower_for_deployment turns it into
  // pools over slices).
  x = b.adaptive_avg_pool("pool", x, 3, 3);
  g.mark_output(x);
  CompiledModel model;
  char error[256] = "";
  EXPECT_EQ(model.compile(g, {}, error, sizeof error), Status::unsupported_op);
  EXPECT_NE(std::string(error).find("node 0 'pool' (adaptive_avg_pool)"), std::string::npos)
      << error;
}

TEST(Engine, ConstantsWithoutDataAreRejected) {
  core::Graph g;
  blocks::Builder b(g, {});  // shape only
  int x = b.input("input", 3, 8, 8);
  x = b.conv2d("conv", x, {.out_channels = 4});
  g.mark_output(x);
  CompiledModel model;
  char error[256] = "";
  EXPECT_EQ(model.compile(g, {}, error, sizeof error), Status::invalid_model);
  EXPECT_NE(std::string(error).find("conv.weight"), std::string::npos) << error;
}

// Three float inputs of 196 MiB each (every tensor under kMaxTensorBytes) live at once need
// an arena over kMaxArenaBytes: compile refuses it, naming the limit, without allocating it.
TEST(Engine, ArenaOverTheLimitIsRefusedBeforeAllocating) {
  core::Graph g;
  const core::Shape shape = {1, 7168, 7168, 1};
  const int a = g.add_input("a", shape), b = g.add_input("b", shape), c = g.add_input("c", shape);
  const int ab = g.add_node(core::OpType::add, "ab", {a, b});
  g.mark_output(g.add_node(core::OpType::add, "abc", {ab, c}));
  CompiledModel model;
  char error[256] = "";
  g_largest_allocation = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(model.compile(g, {}, error, sizeof error), Status::invalid_model);
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(std::string(error).rfind("the activation arena needs ", 0), 0u) << error;
  EXPECT_NE(std::string(error).find(
                "bytes, over the 512 MiB limit for the engine's arena (kMaxArenaBytes)"),
            std::string::npos)
      << error;
  EXPECT_LT(g_largest_allocation.load(), std::size_t{1} << 20);
  EXPECT_LT(took.count(), 500.0);
}

}  // namespace
}  // namespace tinyscale::engine
