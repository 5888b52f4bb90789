#include "blocks/builder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "blocks/phinet_blocks.h"
#include "core/error.h"
#include "costmodel/costmodel.h"
#include "export/tflite_writer.h"
#include "nets/phinet.h"
#include "nets/xinet.h"
#include "nets/yolo.h"

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

TEST(Builder, ChannelCountsBeyondInt32AreNamedNotWrapped) {
  core::Graph g;
  Builder b(g, {});
  const int x = b.input("input", 3, 8, 8);
  // 3e9 channels would wrap to a negative `groups` (and int32 TFLite shapes).
  try {
    b.conv2d("wide", x, {.out_channels = 3'000'000'000});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer 'wide' (conv2d): 3 -> 3000000000 channels"), std::string::npos) << m;
  }
  EXPECT_THROW(b.fully_connected("fc", b.flatten("flat", x), 3'000'000'000, true), Error);
  // An expansion whose product is infinite: named, never int() of infinity.
  PhiNetBlockSpec spec;
  spec.expansion = std::numeric_limits<double>::infinity();
  try {
    phinet_conv_block(b, "_layers.3", x, spec);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer '_layers.3' (PhiNet block): expansion inf"),
              std::string::npos)
        << e.what();
  }
}

// `net`, `info`, `solve` and `sweep` cost shape-only graphs; `export` writes materialized ones.
// The cost model and the exact file size must not depend on the weight data: every figure
// equal, on networks that exercise every block kind (SE, pooling stem, divisor, XiConv with
// broadcast skip, C2f/SPPF neck, XiConv neck, detection heads, classifier heads).
TEST(Builder, ShapeOnlyAndMaterializedBuildsCostTheSame) {
  struct Case {
    std::string name;
    std::function<core::Graph(const BuilderOptions&)> build;
  };
  const std::vector<Case> cases = {
      {"phinet 3x96x96 with top",
       [](const BuilderOptions& o) {
         nets::PhiNetConfig c;
         c.input = {3, 96, 96};
         c.alpha = 0.25;
         c.beta = 0.75;
         c.include_top = true;
         return nets::build_phinet(c, o);
       }},
      {"phinet conv2d-input, pool, compatibility, divisor 8, 5x5 kernels",
       [](const BuilderOptions& o) {
         nets::PhiNetConfig c;
         c.input = {1, 49, 10};
         c.alpha = 0.5;
         c.conv2d_input = true;
         c.pool = true;
         c.compatibility = true;
         c.divisor = 8;
         c.conv5_percent = 0.5;
         c.downsampling_layers = {5};
         return nets::build_phinet(c, o);
       }},
      {"xinet 3x96x96 with top",
       [](const BuilderOptions& o) {
         nets::XiNetConfig c;
         c.input = {3, 96, 96};
         c.alpha = 0.5;
         c.beta = 1.5;
         c.include_top = true;
         c.num_classes = 10;
         return nets::build_xinet(c, o);
       }},
      {"yolo-phinet c2f neck",
       [](const BuilderOptions& o) {
         nets::YoloConfig c;
         c.input = {3, 64, 64};
         c.phinet.alpha = 0.25;
         c.num_classes = 3;
         c.depth_multiple = 1.0 / 3.0;
         return nets::build_yolo(c, o);
       }},
      {"yolo-xinet xiconv neck, two heads",
       [](const BuilderOptions& o) {
         nets::YoloConfig c;
         c.input = {3, 64, 64};
         c.backbone = nets::YoloBackbone::xinet;
         c.xinet.alpha = 0.5;
         c.neck = nets::YoloNeck::xiconv;
         c.heads = {false, true, true};
         c.num_classes = 5;
         return nets::build_yolo(c, o);
       }},
  };
  const costmodel::CostOptions options{.tflite_file_bytes = exporter::tflite_file_bytes};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const core::Graph shapes = c.build({});
    for (const core::Tensor& t : shapes.tensors) ASSERT_FALSE(t.has_data()) << t.name;
    const core::Graph weights = c.build({.materialize_weights = true, .seed = 11});
    const costmodel::CostReport a = costmodel::analyze(shapes, options);
    const costmodel::CostReport b = costmodel::analyze(weights, options);
    EXPECT_TRUE(a.flash_exact);
    EXPECT_TRUE(b.flash_exact);
    EXPECT_GT(a.params, 0);
    EXPECT_EQ(a.params, b.params);
    EXPECT_EQ(a.params_deployed, b.params_deployed);
    EXPECT_EQ(a.macs, b.macs);
    EXPECT_EQ(a.macs_torchinfo, b.macs_torchinfo);
    EXPECT_EQ(a.flash_bytes, b.flash_bytes);
    EXPECT_EQ(a.flash.weight_bytes, b.flash.weight_bytes);
    EXPECT_EQ(a.flash.bias_bytes, b.flash.bias_bytes);
    EXPECT_EQ(a.flash.quantization_bytes, b.flash.quantization_bytes);
    EXPECT_EQ(a.flash.overhead_bytes, b.flash.overhead_bytes);
    EXPECT_EQ(a.ram_bytes, b.ram_bytes);
    EXPECT_EQ(a.ram_lower_bound_bytes, b.ram_lower_bound_bytes);
    EXPECT_EQ(a.ram_greedy_bytes, b.ram_greedy_bytes);
    EXPECT_EQ(a.ram_kernel_state_bytes, b.ram_kernel_state_bytes);
    EXPECT_EQ(a.deployed_nodes, b.deployed_nodes);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
      EXPECT_EQ(a.layers[i].params, b.layers[i].params) << a.layers[i].name;
      EXPECT_EQ(a.layers[i].live_bytes, b.layers[i].live_bytes) << a.layers[i].name;
    }
    // The file-size function alone, on the float graphs as `net` and `export` hand it over.
    EXPECT_EQ(exporter::tflite_file_bytes(shapes), exporter::tflite_file_bytes(weights));
  }
}

}  // namespace
}  // namespace tinyscale::blocks
