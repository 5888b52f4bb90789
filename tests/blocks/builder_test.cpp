#include "blocks/builder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "blocks/phinet_blocks.h"
#include "core/error.h"

namespace tinyscale::blocks {
namespace {

TEST(MakeDivisible, MatchesMicromindRounding) {
  EXPECT_EQ(make_divisible(25, 1), 25);
  EXPECT_EQ(make_divisible(7, 8), 8);    // rounds up to the divisor
  EXPECT_EQ(make_divisible(12, 8), 16);  // 12+4=16 -> 16
  EXPECT_EQ(make_divisible(11, 8), 16);  // 15//8*8 = 8 < 0.9*11 -> +8
  EXPECT_EQ(make_divisible(20, 8), 24);  // 24//8*8 = 24
  EXPECT_EQ(make_divisible(19, 8), 24);  // 23//8*8 = 16 < 0.9*19 -> +8
  EXPECT_EQ(make_divisible(17, 8), 16);  // 21//8*8 = 16 ≥ 0.9*17
  EXPECT_EQ(make_divisible(0, 1), 1);    // never below the divisor
  EXPECT_EQ(make_divisible(-3, 1), 1);   // negative widths (odd expansion schedules) clamp
  EXPECT_EQ(make_divisible(-3, 8), 8);
}

TEST(ExpansionFactor, ReproducesDoubleTruncationOfMicromind) {
  // alpha 0.3, beta 0.5, t0 4, N 7: block 1 on 7 channels is 26/7 * 7, which double
  // arithmetic gives as 25.999..., so int() makes it 25 (exact arithmetic would give 26).
  const double t = expansion_factor(4.0, 0.5, 1, 7);
  EXPECT_EQ(static_cast<std::int64_t>(t * 7.0), 25);
  EXPECT_DOUBLE_EQ(expansion_factor(6.0, 1.0, 3, 7), 6.0);
  EXPECT_NEAR(expansion_factor(6.0, 0.75, 1, 7), 6.0 * 0.75 / 7 + 36.0 / 7, 1e-12);
}

TEST(CorrectPad, EvenPadsBottomRightOddPadsAllSides) {
  const Padding even = correct_pad(224, 3);
  EXPECT_EQ(even.top, 0);
  EXPECT_EQ(even.left, 0);
  EXPECT_EQ(even.bottom, 1);
  EXPECT_EQ(even.right, 1);
  const Padding odd = correct_pad(49, 3);
  EXPECT_EQ(odd.top, 1);
  EXPECT_EQ(odd.left, 1);
  EXPECT_EQ(odd.bottom, 1);
  EXPECT_EQ(odd.right, 1);
}

TEST(Builder, MaterializedWeightsAreDeterministicAndKaimingBounded) {
  auto build = [](std::uint64_t seed) {
    core::Graph g;
    Builder b(g, {.materialize_weights = true, .seed = seed});
    int x = b.input("input", 8, 5, 5);
    b.conv2d("conv", x, {.out_channels = 4, .kernel = 3, .pad = {1, 1, 1, 1}, .bias = true});
    return g;
  };
  const core::Graph a = build(7), b = build(7), c = build(8);
  const auto wa = a.tensor(1).values<float>();
  ASSERT_EQ(wa.size(), 4u * 3 * 3 * 8);
  const float bound = 1.0f / std::sqrt(72.0f);
  float largest = 0.0f;
  for (float v : wa) largest = std::max(largest, std::fabs(v));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.8f * bound);  // spread over the whole range, not clustered at zero
  EXPECT_EQ(a.tensor(1).data, b.tensor(1).data);
  EXPECT_NE(a.tensor(1).data, c.tensor(1).data);
  EXPECT_EQ(a.tensor(2).shape, core::Shape{4});  // bias
}

TEST(Builder, ShapeOnlyBuildHasNoData) {
  core::Graph g;
  Builder b(g, {});
  int x = b.input("input", 3, 8, 8);
  x = b.conv2d("conv", x, {.out_channels = 4});
  b.batch_norm("bn", x, 1e-3f);
  for (const core::Tensor& t : g.tensors) EXPECT_FALSE(t.has_data());
  EXPECT_NO_THROW(g.validate());
}

TEST(Builder, AdaptivePoolPicksTheCheapestExactForm) {
  core::Graph g;
  Builder b(g, {});
  const int x = b.input("input", 4, 24, 24);
  EXPECT_EQ(b.adaptive_avg_pool("same", x, 24, 24), x);  // identity: no node
  const int pooled = b.adaptive_avg_pool("divides", x, 12, 12);
  EXPECT_EQ(g.nodes.back().op, core::OpType::avg_pool);
  EXPECT_EQ(g.nodes.back().attrs.kernel_h, 2);
  EXPECT_EQ(b.shape(pooled), (core::Shape{1, 12, 12, 4}));
  b.adaptive_avg_pool("uneven", x, 10, 10);
  EXPECT_EQ(g.nodes.back().op, core::OpType::adaptive_avg_pool);
  EXPECT_THROW(b.adaptive_avg_pool("empty", x, 0, 0), Error);
}

TEST(Builder, RejectsZeroWidthLayersByName) {
  core::Graph g;
  Builder b(g, {});
  const int x = b.input("input", 3, 8, 8);
  try {
    b.conv2d("_layers.1._layers.1", x, {.out_channels = 0});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("_layers.1._layers.1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tinyscale::blocks
