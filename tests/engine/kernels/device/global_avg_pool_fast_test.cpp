// global_avg_pool_s8_fast against its oracle global_avg_pool_s8 (issue 16): random maps (1 to
// 700 pixels, so that the 16-bit lanes fold into int32 once or more; channel counts that are
// and are not multiples of 4; batches; zero points, multipliers and shifts of both signs) and
// the lanes' extremes (every value -128 or 127 over 256 and 700 pixels) must give the same
// bytes, and no byte past the output written.
#include "engine/kernels/device/global_avg_pool_fast.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/global_avg_pool.h"

namespace tinyscale::device {
namespace {

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

void expect_same(const GlobalAvgPoolS8Params& p, const std::vector<std::int8_t>& input,
                 const std::string& what) {
  const auto n = static_cast<std::size_t>(p.batches * p.channels);
  std::vector<std::int8_t> expected(n + 8, 0x55), actual(n + 8, 0x55);
  global_avg_pool_s8(p, input.data(), expected.data(), nullptr);
  global_avg_pool_s8_fast(p, input.data(), actual.data(), nullptr);
  ASSERT_EQ(actual, expected) << what;
}

TEST(DeviceGlobalAvgPoolS8Fast, RandomMapsMatchTheReferenceByteForByte) {
  std::mt19937 rng(31);
  for (int i = 0; i < 300; ++i) {
    GlobalAvgPoolS8Params p{};
    p.batches = pick(rng, 1, 2);
    p.height = pick(rng, 1, 28);
    p.width = pick(rng, 1, 25);
    p.channels = pick(rng, 0, 1) ? 4 * pick(rng, 1, 12) : pick(rng, 1, 41);
    p.input_zero_point = pick(rng, -128, 127);
    p.output_zero_point = pick(rng, -128, 127);
    p.multiplier = pick(rng, 1 << 30, 2147483647);
    p.shift = pick(rng, -20, 3);
    std::vector<std::int8_t> input(
        static_cast<std::size_t>(p.batches * p.height * p.width * p.channels));
    for (auto& x : input) x = static_cast<std::int8_t>(pick(rng, -128, 127));
    expect_same(p, input, "case " + std::to_string(i));
  }
}

TEST(DeviceGlobalAvgPoolS8Fast, LaneExtremesMatch) {
  for (const int pixels : {256, 700}) {
    for (const int value : {-128, 127}) {
      const GlobalAvgPoolS8Params p = {1, pixels, 1, 8, -128, 3, 1 << 30, -8};
      const std::vector<std::int8_t> input(static_cast<std::size_t>(pixels * 8),
                                           static_cast<std::int8_t>(value));
      expect_same(p, input, std::to_string(pixels) + " x " + std::to_string(value));
    }
  }
}

}  // namespace
}  // namespace tinyscale::device
