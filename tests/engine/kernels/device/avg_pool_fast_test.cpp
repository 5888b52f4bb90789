// avg_pool_s8_fast against its oracle avg_pool_s8 (issue 16): random pools (4 to 64
// channels, windows up to 256 cells with every padding, strides, batches, activation ranges)
// and the extremes (256 cells of -128 or 127, where a 16-bit lane is full) must give the same
// bytes; other channel counts and larger windows are not taken.
#include "engine/kernels/device/avg_pool_fast.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/avg_pool.h"

namespace tinyscale::device {
namespace {

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

void expect_same(const AvgPoolS8Params& p, const std::vector<std::int8_t>& input,
                 const std::string& what) {
  ASSERT_TRUE(avg_pool_s8_fast_applies(p)) << what;
  const PoolGeometry& g = p.geometry;
  const auto n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.channels);
  std::vector<std::int8_t> expected(n + 8, 0x55), actual(n + 8, 0x55);
  avg_pool_s8(p, input.data(), expected.data(), nullptr);
  avg_pool_s8_fast(p, input.data(), actual.data(), nullptr);
  ASSERT_EQ(actual, expected) << what;  // the canaries after the output included
}

TEST(DeviceAvgPoolS8Fast, RandomPoolsMatchTheReferenceByteForByte) {
  std::mt19937 rng(25);
  for (int i = 0; i < 400; ++i) {
    AvgPoolS8Params p{};
    PoolGeometry& g = p.geometry;
    g.batches = pick(rng, 1, 2);
    g.channels = 4 * pick(rng, 1, 16);
    g.kernel_h = pick(rng, 1, 16);
    g.kernel_w = pick(rng, 1, 256 / g.kernel_h);
    g.stride_h = pick(rng, 1, 3);
    g.stride_w = pick(rng, 1, 3);
    g.pad_top = pick(rng, 0, g.kernel_h - 1);
    g.pad_left = pick(rng, 0, g.kernel_w - 1);
    g.out_h = pick(rng, 1, 4);
    g.out_w = pick(rng, 1, 4);
    // Enough input that every window keeps a cell inside, with or without bottom padding.
    g.in_h = std::max(g.pad_top + 1, (g.out_h - 1) * g.stride_h + g.kernel_h - g.pad_top -
                                         pick(rng, 0, g.kernel_h - 1));
    g.in_w = std::max(g.pad_left + 1, (g.out_w - 1) * g.stride_w + g.kernel_w - g.pad_left -
                                          pick(rng, 0, g.kernel_w - 1));
    p.act_min = pick(rng, 0, 1) ? -128 : pick(rng, -128, 0);
    p.act_max = pick(rng, 0, 1) ? 127 : pick(rng, p.act_min, 127);
    std::vector<std::int8_t> input(
        static_cast<std::size_t>(g.batches * g.in_h * g.in_w * g.channels));
    for (auto& x : input) x = static_cast<std::int8_t>(pick(rng, -128, 127));
    expect_same(p, input, "case " + std::to_string(i));
  }
}

TEST(DeviceAvgPoolS8Fast, FullWindowsAtTheExtremesMatch) {
  // 256 cells of -128 sum to -32768 (the lane's minimum), of 127 to 32512; the DS-CNN's
  // 25x5x64 pool; one window of 16x16 over 4 channels.
  for (const int v : {-128, 127, -1, 0}) {
    const AvgPoolS8Params p = {{1, 16, 16, 4, 1, 1, 16, 16, 16, 16, 0, 0}, -128, 127};
    expect_same(p, std::vector<std::int8_t>(16 * 16 * 4, static_cast<std::int8_t>(v)),
                "value " + std::to_string(v));
  }
  std::mt19937 rng(5);
  const AvgPoolS8Params ds_cnn = {{1, 25, 5, 64, 1, 1, 25, 5, 25, 5, 0, 0}, -128, 127};
  std::vector<std::int8_t> input(25 * 5 * 64);
  for (auto& x : input) x = static_cast<std::int8_t>(pick(rng, -128, 127));
  expect_same(ds_cnn, input, "DS-CNN");
}

TEST(DeviceAvgPoolS8Fast, OnlyWholeWordsOfChannelsAndWindowsOfAtMost256Cells) {
  AvgPoolS8Params p = {{1, 16, 16, 4, 1, 1, 16, 16, 16, 16, 0, 0}, -128, 127};
  EXPECT_TRUE(avg_pool_s8_fast_applies(p));
  EXPECT_EQ(avg_pool_s8_fast_scratch_bytes(p), 0);
  p.geometry.kernel_w = 17;  // 272 cells: a lane could overflow
  EXPECT_FALSE(avg_pool_s8_fast_applies(p));
  p.geometry.kernel_w = 16;
  p.geometry.channels = 6;
  EXPECT_FALSE(avg_pool_s8_fast_applies(p));
}

}  // namespace
}  // namespace tinyscale::device
