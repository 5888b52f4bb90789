// add_s8_fast against its oracle add_s8 (issue 16): every pair of int8 values under
// requantizations from random scales (as the engine's prepare derives them) and from random
// raw params at their bounds (every shift in [-31, 0], multipliers near 0, 2^30 and 2^31, zero
// points at the extremes, activation ranges), over the elementwise case, a [.., C] operand
// in either order, a general broadcast, odd lengths and in place; each output must be
// byte-identical, and no byte past it written.
#include "engine/kernels/device/add_fast.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/add.h"
#include "engine/kernels/quantization_util.h"
#include "tests/engine/kernels/device/binary_case.h"

namespace tinyscale::device {
namespace {

// Half the time from scales as engine/kernels/add.cpp derives them, else raw params at the
// fast path's bounds (and one case in ten beyond them).
AddS8Params random_params(std::mt19937& rng) {
  AddS8Params p{};
  if (pick(rng, 0, 1) == 0) {
    const double s1 = std::ldexp(1.0 + pick(rng, 0, 999) / 1000.0, -pick(rng, 1, 12));
    const double s2 = std::ldexp(1.0 + pick(rng, 0, 999) / 1000.0, -pick(rng, 1, 12));
    const double sy = std::ldexp(1.0 + pick(rng, 0, 999) / 1000.0, -pick(rng, 0, 10));
    const double twice_max = 2 * std::max(s1, s2);
    int shift1 = 0, shift2 = 0, shift_out = 0;
    engine::quantize_multiplier_smaller_than_one_exp(s1 / twice_max, &p.input1_multiplier, &shift1);
    engine::quantize_multiplier_smaller_than_one_exp(s2 / twice_max, &p.input2_multiplier, &shift2);
    engine::quantize_multiplier_smaller_than_one_exp(twice_max / ((1 << 20) * sy),
                                                     &p.output_multiplier, &shift_out);
    p.input1_shift = shift1;
    p.input2_shift = shift2;
    p.output_shift = shift_out;
  } else {
    auto multiplier = [&] {
      return pick(rng, 0, 9) == 0 ? pick(rng, 0, 2) : pick(rng, 1 << 30, 2147483647);
    };
    p.input1_multiplier = multiplier();
    p.input2_multiplier = multiplier();
    p.output_multiplier = multiplier();
    p.input1_shift = -pick(rng, 0, 31);
    p.input2_shift = -pick(rng, 0, 31);
    p.output_shift = -pick(rng, 0, 31);
    // Beyond the fast path's bounds, where add_s8's arithmetic is still defined (its shifts
    // must stay in [-31, 0]): a negative multiplier.
    if (pick(rng, 0, 9) == 0) p.output_multiplier = -pick(rng, 1, 2147483647);
  }
  random_offsets_and_range(rng, p);
  return p;
}

TEST(DeviceAddS8Fast, EveryPairOfValuesMatchesTheReference) {
  std::mt19937 rng(16);
  const std::int32_t d[4] = {1, 1, 256, 256};
  std::vector<std::int8_t> a, b;
  every_value_pair(&a, &b);
  int fast = 0;
  for (int i = 0; i < 160; ++i) {
    AddS8Params p = random_params(rng);
    p.shape = broadcast_4d(d, d);
    fast += add_s8_fast_short_stage(p) ? 1 : 0;
    expect_binary_same(p, d, d, a, b, add_s8, add_s8_fast, "params " + std::to_string(i));
  }
  EXPECT_GT(fast, 120);
  EXPECT_LT(fast, 160);  // both paths ran
}

TEST(DeviceAddS8Fast, RandomShapesAndBroadcastsMatchTheReference) {
  std::mt19937 rng(61);
  for (int i = 0; i < 600; ++i) {
    expect_random_broadcast_same(rng, i, random_params(rng), add_s8, add_s8_fast);
  }
}

}  // namespace
}  // namespace tinyscale::device
