// mul_s8_fast against its oracle mul_s8 (issue 16): every pair of int8 values under random
// and extreme requantizations (both stages: right shifts 1..23 take the short one, the rest
// mul_s8's own arithmetic; multipliers near 0 and 2^31; zero points at the extremes;
// activation ranges), over the elementwise case, the squeeze-excite channel broadcast in both
// operand orders, a general broadcast, odd lengths and in place; each output must be
// byte-identical, and no byte past it written.
#include "engine/kernels/device/mul_fast.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/mul.h"
#include "tests/engine/kernels/device/binary_case.h"

namespace tinyscale::device {
namespace {

MulS8Params random_params(std::mt19937& rng) {
  MulS8Params p{};
  const int kind = pick(rng, 0, 9);
  p.output_shift = kind < 7 ? -pick(rng, 1, 23) : pick(rng, -31, 0);  // mostly the short stage
  p.output_multiplier = pick(rng, 0, 5) == 0 ? pick(rng, 0, 3) : pick(rng, 1 << 30, 2147483647);
  if (p.output_shift > -1) p.output_shift = pick(rng, -31, 2);
  random_offsets_and_range(rng, p);
  return p;
}

TEST(DeviceMulS8Fast, EveryPairOfValuesMatchesTheReference) {
  std::mt19937 rng(16);
  // a runs over all 256 values for each of the 256 values of b: 65,536 products a call.
  const std::int32_t da[4] = {1, 1, 256, 256}, db[4] = {1, 1, 256, 256};
  std::vector<std::int8_t> a, b;
  every_value_pair(&a, &b);
  int short_calls = 0;
  for (int i = 0; i < 120; ++i) {
    MulS8Params p = random_params(rng);
    p.shape = broadcast_4d(da, db);
    short_calls += mul_s8_fast_short_stage(p) ? 1 : 0;
    expect_binary_same(p, da, db, a, b, mul_s8, mul_s8_fast, "params " + std::to_string(i));
  }
  EXPECT_GT(short_calls, 60);
  EXPECT_LT(short_calls, 120);  // both stages ran
}

TEST(DeviceMulS8Fast, RandomShapesAndBroadcastsMatchTheReference) {
  std::mt19937 rng(61);
  for (int i = 0; i < 600; ++i) {
    expect_random_broadcast_same(rng, i, random_params(rng), mul_s8, mul_s8_fast);
  }
}

TEST(DeviceMulS8Fast, ShortStageBounds) {
  MulS8Params p{};
  p.output_multiplier = 1 << 30;
  p.output_shift = -1;
  EXPECT_TRUE(mul_s8_fast_short_stage(p));
  p.output_shift = -23;
  EXPECT_TRUE(mul_s8_fast_short_stage(p));
  p.output_shift = -24;  // 128 * 2^24 would pass int32
  EXPECT_FALSE(mul_s8_fast_short_stage(p));
  p.output_shift = 0;
  EXPECT_FALSE(mul_s8_fast_short_stage(p));
  p.output_shift = -7;
  p.input1_offset = 256;  // not an int8 zero point: lanes would not hold it
  EXPECT_FALSE(mul_s8_fast_short_stage(p));
}

}  // namespace
}  // namespace tinyscale::device
