// max_pool_s8_fast against its oracle max_pool_s8 (issue 16): random pools (1 to 64 channels,
// multiples of 4 and not; windows with every padding, windows with no cell inside the input;
// strides, batches, activation ranges, empty ones included) and the byte lanes' extremes must
// give the same bytes, and no byte past the output written.
#include "engine/kernels/device/max_pool_fast.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/max_pool.h"

namespace tinyscale::device {
namespace {

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

void expect_same(const MaxPoolS8Params& p, const std::vector<std::int8_t>& input,
                 const std::string& what) {
  const PoolGeometry& g = p.geometry;
  const auto n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.channels);
  std::vector<std::int8_t> expected(n + 8, 0x55), actual(n + 8, 0x55);
  max_pool_s8(p, input.data(), expected.data(), nullptr);
  max_pool_s8_fast(p, input.data(), actual.data(), nullptr);
  ASSERT_EQ(actual, expected) << what;
}

TEST(DeviceMaxPoolS8Fast, RandomPoolsMatchTheReferenceByteForByte) {
  std::mt19937 rng(47);
  for (int i = 0; i < 500; ++i) {
    MaxPoolS8Params p{};
    PoolGeometry& g = p.geometry;
    g.batches = pick(rng, 1, 2);
    g.channels = pick(rng, 0, 1) ? 4 * pick(rng, 1, 16) : pick(rng, 1, 19);
    g.kernel_h = pick(rng, 1, 4);
    g.kernel_w = pick(rng, 1, 4);
    g.stride_h = pick(rng, 1, 3);
    g.stride_w = pick(rng, 1, 3);
    g.pad_top = pick(rng, 0, g.kernel_h);  // == kernel: a first row of windows outside
    g.pad_left = pick(rng, 0, g.kernel_w - 1);
    g.out_h = pick(rng, 1, 5);
    g.out_w = pick(rng, 1, 5);
    g.in_h = pick(rng, 1, (g.out_h - 1) * g.stride_h + g.kernel_h);
    g.in_w = pick(rng, 1, (g.out_w - 1) * g.stride_w + g.kernel_w);
    switch (pick(rng, 0, 3)) {
      case 0:
        p.act_min = -128;
        p.act_max = 127;
        break;
      case 1:
        p.act_min = pick(rng, -128, 0);
        p.act_max = pick(rng, p.act_min, 127);
        break;
      case 2:
        p.act_min = pick(rng, -20, 20);
        p.act_max = pick(rng, -128, p.act_min - 1);  // empty: the reference's clamp order
        break;
      default:
        p.act_min = 0;
        p.act_max = 127;
        break;
    }
    std::vector<std::int8_t> input(
        static_cast<std::size_t>(g.batches * g.in_h * g.in_w * g.channels));
    for (auto& x : input) x = static_cast<std::int8_t>(pick(rng, -128, 127));
    expect_same(p, input, "case " + std::to_string(i));
  }
}

TEST(DeviceMaxPoolS8Fast, ByteLaneExtremesMatch) {
  for (const int v : {-128, 127, -1, 0}) {
    const MaxPoolS8Params p = {{1, 4, 4, 8, 2, 2, 2, 2, 2, 2, 0, 0}, -128, 127};
    std::vector<std::int8_t> input(4 * 4 * 8, static_cast<std::int8_t>(v));
    input[5] = static_cast<std::int8_t>(v == 127 ? -128 : 127);  // one lane differs
    expect_same(p, input, "value " + std::to_string(v));
  }
}

}  // namespace
}  // namespace tinyscale::device
