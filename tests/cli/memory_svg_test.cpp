// cli/memory_svg: the picture of an arena plan, checked against the plan it was drawn from.
#include "cli/memory_svg.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "core/ops.h"
#include "core/passes.h"
#include "nets/phinet.h"
#include "tests/cli/xml_check.h"

namespace {

using tinyscale::cli::BufferKind;
using tinyscale::cli::memory_svg;
using tinyscale::testing_support::xml_problem;
namespace core = tinyscale::core;
namespace engine = tinyscale::engine;

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

// 1234567 -> "1,234,567"
std::string grouped(std::int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

core::Graph small_phinet() {
  tinyscale::nets::PhiNetConfig c;
  c.input = {3, 48, 48};
  c.alpha = 0.25;
  return core::lower_for_deployment(tinyscale::nets::build_phinet(c));
}

// The number in the title's "peak N B".
long peak_label(const std::string& svg) {
  std::smatch m;
  const std::regex label(R"re(id="peak-label"[^>]*>peak ([0-9,]+) B)re");
  if (!std::regex_search(svg, m, label)) return -1;
  std::string digits = m[1].str();
  std::erase(digits, ',');
  return std::stol(digits);
}

TEST(MemorySvg, OneRectanglePerBufferOfItsKindAndThePlansPeak) {
  const core::Graph g = small_phinet();
  const engine::ArenaPlan plan = engine::plan_arena(g);
  const std::string svg = memory_svg(g, plan, {.title = "PhiNet <48> & co"});
  EXPECT_EQ(xml_problem(svg), "");
  int buffers = 0, kinds[4] = {0, 0, 0, 0};
  for (std::size_t b = 0; b < plan.buffers.buffers.size(); ++b) {
    if (plan.buffers.buffers[b].size <= 0) continue;
    ++buffers;
    ++kinds[static_cast<int>(tinyscale::cli::buffer_kind(g, plan.buffers, b))];
  }
  EXPECT_GT(buffers, 20);
  EXPECT_EQ(count(svg, "class=\"buffer\""), buffers);
  EXPECT_EQ(kinds[static_cast<int>(BufferKind::graph_input)], 1);
  EXPECT_EQ(kinds[static_cast<int>(BufferKind::graph_output)], 1);
  EXPECT_EQ(count(svg, "data-kind=\"graph input\""), 1);
  EXPECT_EQ(count(svg, "data-kind=\"graph output\""), 1);
  EXPECT_EQ(count(svg, "data-kind=\"activation\""),
            kinds[static_cast<int>(BufferKind::activation)]);
  EXPECT_EQ(count(svg, "data-kind=\"scratch\""), kinds[static_cast<int>(BufferKind::scratch)]);
  EXPECT_EQ(peak_label(svg), plan.plan.peak_bytes);
  // One hover column per node, naming its op; the title escaped.
  EXPECT_EQ(count(svg, "<rect class=\"step"), static_cast<int>(g.nodes.size()));
  EXPECT_NE(svg.find("PhiNet &lt;48&gt; &amp; co"), std::string::npos);
  EXPECT_NE(svg.find(std::string("node 0 ") + core::op_name(g.nodes[0].op)), std::string::npos);
  // A buffer an in-place chain shares names every tensor it holds.
  int shared = 0;
  for (std::size_t b = 0; b < plan.buffers.buffers.size(); ++b)
    shared += tinyscale::cli::buffer_tensors(plan.buffers, b).size() > 1;
  EXPECT_GT(shared, 0);
  EXPECT_EQ(count(svg, "tensors in place"), shared);
  // The steps with the most bytes live are marked, and there is one peak line.
  EXPECT_GE(count(svg, "peak-step"), 1);
  EXPECT_EQ(count(svg, "class=\"peak\""), 1);
}

TEST(MemorySvg, OneBandPerRegion) {
  const core::Graph g = small_phinet();
  const engine::ArenaPlan whole = engine::plan_arena(g);
  // Three regions, none able to hold the whole arena: the buffers are split.
  const std::int64_t room = whole.plan.peak_bytes * 2 / 3;
  const std::int64_t capacities[] = {room, room, room};
  const engine::ArenaPlan plan = engine::plan_arena(g, {.region_capacities = capacities});
  ASSERT_EQ(plan.region_peak_bytes.size(), 3U);
  const std::string svg =
      memory_svg(g, plan, {.title = "split", .region_names = {"DTCM", "AXI SRAM", "SRAM4"}});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "class=\"region\""), 3);
  EXPECT_NE(svg.find("AXI SRAM: buffers peak"), std::string::npos);
  int buffers = 0, used_regions = 0;
  for (const engine::PlannerBuffer& b : plan.buffers.buffers) buffers += b.size > 0;
  for (const std::int64_t peak : plan.region_peak_bytes) used_regions += peak > 0;
  EXPECT_GE(used_regions, 2);
  EXPECT_EQ(count(svg, "class=\"buffer\""), buffers);
  EXPECT_EQ(count(svg, "class=\"peak\""), used_regions);
  EXPECT_EQ(peak_label(svg), plan.plan.peak_bytes);
}

TEST(MemorySvg, TheRoomOfARegionIsDrawnWhenNearTheBuffers) {
  const core::Graph g = small_phinet();
  const std::int64_t peak = engine::plan_arena(g).plan.peak_bytes;
  const std::int64_t fixed = 1000;
  for (const std::int64_t capacity : {peak * 5 / 4 + fixed, peak * 10}) {
    const std::int64_t capacities[] = {capacity};
    const engine::ArenaPlan plan =
        engine::plan_arena(g, {.region_capacities = capacities, .home_region_fixed_bytes = fixed});
    const std::string svg = memory_svg(
        g, plan, {.title = "room", .region_capacities = {capacity}, .fixed_bytes = fixed});
    EXPECT_EQ(xml_problem(svg), "");
    const bool near = capacity < 2 * peak;
    EXPECT_EQ(count(svg, "class=\"room\""), near ? 1 : 0) << capacity;
    EXPECT_EQ(svg.find("room " + grouped(capacity - fixed) + " B") != std::string::npos, near)
        << capacity;
  }
}

TEST(MemorySvg, ScratchBuffersAreDrawnAndNameTheirNode) {
  const core::Graph g = small_phinet();
  std::vector<std::int64_t> scratch(g.nodes.size(), 0);
  scratch[2] = 4096;
  const engine::ArenaPlan plan = engine::plan_arena(g, {.node_scratch_bytes = scratch});
  const std::string svg = memory_svg(g, plan, {.title = "scratch"});
  EXPECT_EQ(xml_problem(svg), "");
  // Node 2's, and one per in-place depthwise convolution (its channel plane).
  int scratch_buffers = 0;
  for (const int node : plan.buffers.node) scratch_buffers += node >= 0;
  EXPECT_GE(scratch_buffers, 1);
  EXPECT_EQ(count(svg, "data-kind=\"scratch\""), scratch_buffers);
  EXPECT_NE(svg.find("scratch of node 2 " + std::string(core::op_name(g.nodes[2].op)) + " &apos;" +
                     g.nodes[2].name + "&apos;: 4,096 B"),
            std::string::npos);
}

TEST(MemorySvg, XmlCheckCatchesBrokenDocuments) {
  EXPECT_EQ(xml_problem("<svg><g a=\"1\"/><text>a &amp; b</text></svg>\n"), "");
  EXPECT_NE(xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(xml_problem("<svg><text>a & b</text></svg>"), "");
  EXPECT_NE(xml_problem("<svg a=1></svg>"), "");
  EXPECT_NE(xml_problem("<svg/><svg/>"), "");
}

}  // namespace
