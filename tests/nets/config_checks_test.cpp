// Tests of nets/config_checks: absurd hyperparameters are refused by option and limit before
// any layer is built (no overflowed, negative channel counts, no allocation), and a
// shape-only graph is checked against the network totals (parameters, tensor bytes, MACs).
#include "nets/config_checks.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <regex>
#include <string>

#include "nets/phinet.h"
#include "nets/xinet.h"
#include "nets/yolo.h"
#include "tests/support/errors.h"

namespace tinyscale::nets {
namespace {

using testing_support::error_of;
using testing_support::expect_contains;

// The message of a refused build; also checks that no count in it is negative (an int that
// wrapped) and that the refusal is immediate, i.e. nothing was built or allocated first.
std::string refusal(const std::function<core::Graph()>& build) {
  const auto start = std::chrono::steady_clock::now();
  const std::string e = error_of(build);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 0.5) << e;
  EXPECT_FALSE(std::regex_search(e, std::regex(R"((^|[ (])-[0-9])"))) << "a negative count: " << e;
  return e;
}

std::string phinet_refusal(const std::function<void(PhiNetConfig&)>& edit) {
  PhiNetConfig c;
  c.input = {3, 96, 96};
  edit(c);
  // With weights asked for: the refusal must come before any weight is allocated.
  return refusal([&] { return build_phinet(c, {.materialize_weights = true}); });
}

std::string xinet_refusal(const std::function<void(XiNetConfig&)>& edit) {
  XiNetConfig c;
  c.input = {3, 96, 96};
  edit(c);
  return refusal([&] { return build_xinet(c, {.materialize_weights = true}); });
}

TEST(ConfigChecks, PhiNetOptionsBeyondTheLimitsAreNamed) {
  std::string e = phinet_refusal([](PhiNetConfig& c) {
    c.include_top = true;
    c.num_classes = 2'000'000'000;
  });
  expect_contains(e, "--num-classes 2000000000");
  expect_contains(e, "1,000,000 classes");
  expect_contains(e, "nets/config_checks.h");

  e = phinet_refusal([](PhiNetConfig& c) { c.num_layers = 100'000; });
  expect_contains(e, "--num-layers 100000");
  expect_contains(e, "limit of 100 layers");

  e = phinet_refusal([](PhiNetConfig& c) { c.divisor = 2'000'000'000; });
  expect_contains(e, "--divisor 2000000000");
  // Within its own limit, the divisor rounds block 1's expansion up to 6 · 2^20 channels.
  e = phinet_refusal([](PhiNetConfig& c) { c.divisor = 1 << 20; });
  expect_contains(e, "block 1 (expansion) would have 6,291,456 channels");
  expect_contains(e, "--divisor 1048576");

  // Widths: int(48 · 1e9) is no int32; the count is named, not wrapped.
  e = phinet_refusal([](PhiNetConfig& c) { c.alpha = 1e9; });
  expect_contains(e, "48,000,000,000 channels");
  expect_contains(e, "--alpha 1e+09");
  expect_contains(e, "the limit is 1,048,576");

  // Expansion: t0·β·i/N of block 1 times its input channels.
  e = phinet_refusal([](PhiNetConfig& c) { c.beta = 1e6; });
  expect_contains(e, "block 1 (expansion)");
  expect_contains(e, "--beta 1e+06");
  e = phinet_refusal([](PhiNetConfig& c) { c.t_zero = 1e7; });
  expect_contains(e, "--t0 1e+07");
  // 1e308 · 1e308 is infinite: still a named refusal.
  e = phinet_refusal([](PhiNetConfig& c) {
    c.t_zero = 1e308;
    c.beta = 1e308;
  });
  expect_contains(e, "inf channels");
}

TEST(ConfigChecks, PhiNetTotalsBeyondTheLimitsAreNamed) {
  // Every layer under the channel limit, the whole network over the parameter limit:
  // 167 billion parameters, refused on the shape-only graph.
  std::string e = phinet_refusal([](PhiNetConfig& c) { c.alpha = 500; });
  expect_contains(e, "the network would have 167,");
  expect_contains(e, "parameters (--input 3x96x96 --alpha 500");
  expect_contains(e, "the limit is 2,147,483,648");

  // One activation over 2^31 bytes: block 2's expansion at 10000 x 10000 x 24.
  e = phinet_refusal([](PhiNetConfig& c) { c.input = {3, 20000, 20000}; });
  expect_contains(e, "tensor '_layers.3._layers.0' (1x10000x10000x24) would have 2,400,000,000 bytes");

  // The input itself.
  e = phinet_refusal([](PhiNetConfig& c) { c.input = {3, 1'000'000, 1'000'000}; });
  expect_contains(e, "--input 3x1000000x1000000 is 3,000,000,000,000 bytes");
}

TEST(ConfigChecks, XiNetOptionsBeyondTheLimitsAreNamed) {
  // micromind's 2^sqrt(base_filters) is infinite here, and int(2·base_filters·α) overflowed int.
  std::string e = xinet_refusal([](XiNetConfig& c) { c.base_filters = 2'000'000'000; });
  expect_contains(e, "the stem would have 2,000,000,000 channels");
  expect_contains(e, "--base-filters 2000000000");

  e = xinet_refusal([](XiNetConfig& c) { c.alpha = 1e9; });
  expect_contains(e, "--alpha 1e+09");

  // Widths double per stage: stage 17 of 40 is 2^21 channels.
  e = xinet_refusal([](XiNetConfig& c) { c.num_layers = 40; });
  expect_contains(e, "stage 17 would have 2,097,152 channels");
  expect_contains(e, "--num-layers 40");

  e = xinet_refusal([](XiNetConfig& c) { c.gamma = 1e30; });
  expect_contains(e, "--gamma 1e+30");
  e = xinet_refusal([](XiNetConfig& c) { c.num_classes = 2'000'000'000; });
  expect_contains(e, "--num-classes 2000000000");
}

TEST(ConfigChecks, YoloOptionsBeyondTheLimitsAreNamed) {
  YoloConfig c;
  c.input = {3, 64, 64};
  c.num_classes = 2'000'000'000;
  expect_contains(refusal([&] { return build_yolo(c); }), "--classes 2000000000");
  c = {};
  c.input = {3, 64, 64};
  c.depth_multiple = 1e9;  // round(3e9) bottlenecks would not even fit an int
  expect_contains(refusal([&] { return build_yolo(c); }), "--depth-multiple 1e+09");
  c = {};
  c.input = {3, 64, 64};
  c.phinet.alpha = 1e9;
  expect_contains(refusal([&] { return build_yolo(c); }), "--alpha 1e+09");
}

TEST(ConfigChecks, MacsBeyondTheLimitAreNamed) {
  // 1.6e9-byte tensors and 729 parameters, but 39,974² · 27² ≈ 1.16e12 MACs.
  core::Graph g;
  const int x = g.add_input("input", {1, 40'000, 40'000, 1});
  const int w = g.add_constant("conv.weight", {1, 27, 27, 1});
  core::Attributes a;
  a.kernel_h = a.kernel_w = 27;
  g.mark_output(g.add_node(core::OpType::conv2d, "conv", {x, w}, a));
  const std::string e = error_of([&] { check_network_limits(g, "test", "--some-option 1"); });
  expect_contains(e, "the network would have 1,164,");
  expect_contains(e, "MACs (--some-option 1); the limit is 1,000,000,000,000");
}

TEST(ConfigChecks, RealNetworksAreWellWithinTheLimits) {
  // The largest corner of the solver's search space (alpha 4, beta 4, t0 8) at 3x224x224,
  // and micromind's detection recipe at 640x640, must build.
  PhiNetConfig p;
  p.input = {3, 224, 224};
  p.alpha = 4.0;
  p.beta = 4.0;
  p.t_zero = 8.0;
  p.num_layers = 9;
  p.include_top = true;
  p.num_classes = 1000;
  EXPECT_NO_THROW(build_phinet(p));
  YoloConfig y;
  y.input = {3, 640, 640};
  EXPECT_NO_THROW(build_yolo(y));
  XiNetConfig x;
  x.input = {3, 224, 224};
  x.alpha = 4.0;
  x.num_layers = 7;
  x.include_top = true;
  EXPECT_NO_THROW(build_xinet(x));
}

TEST(ConfigChecks, LimitTextGroupsDigits) {
  EXPECT_EQ(limit_text(2147483648.0), "2,147,483,648");
  EXPECT_EQ(limit_text(999.0), "999");
  EXPECT_EQ(limit_text(1e300), "1e+300");
}

}  // namespace
}  // namespace tinyscale::nets
