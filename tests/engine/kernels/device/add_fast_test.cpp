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

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

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
  const int zero_points[] = {-128, 127, 0, -1};
  p.input1_offset = -(pick(rng, 0, 2) ? pick(rng, -128, 127) : zero_points[pick(rng, 0, 3)]);
  p.input2_offset = -(pick(rng, 0, 2) ? pick(rng, -128, 127) : zero_points[pick(rng, 0, 3)]);
  p.output_offset = pick(rng, 0, 2) ? pick(rng, -128, 127) : zero_points[pick(rng, 0, 3)];
  p.act_min = pick(rng, 0, 2) ? -128 : pick(rng, -128, 0);
  p.act_max = pick(rng, 0, 2) ? 127 : pick(rng, p.act_min, 127);
  return p;
}

TEST(DeviceAddS8Fast, EveryPairOfValuesMatchesTheReference) {
  std::mt19937 rng(16);
  const std::int32_t d[4] = {1, 1, 256, 256};
  std::vector<std::int8_t> a(65536), b(65536);
  for (int i = 0; i < 65536; ++i) {
    a[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i & 255);
    b[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i >> 8);
  }
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
    AddS8Params p = random_params(rng);
    std::int32_t da[4] = {pick(rng, 1, 2), pick(rng, 1, 6), pick(rng, 1, 6), pick(rng, 1, 37)};
    std::int32_t db[4] = {da[0], da[1], da[2], da[3]};
    switch (i % 4) {
      case 0:
        break;
      case 1:
        db[1] = db[2] = 1;
        break;
      case 2:
        for (int k = 0; k < 4; ++k) std::swap(da[k], db[k]);
        da[1] = da[2] = 1;
        break;
      default:
        da[pick(rng, 0, 3)] = 1;
        db[pick(rng, 0, 3)] = 1;
        break;
    }
    p.shape = broadcast_4d(da, db);
    std::vector<std::int8_t> a(static_cast<std::size_t>(elements(da)));
    std::vector<std::int8_t> b(static_cast<std::size_t>(elements(db)));
    for (auto& v : a) v = static_cast<std::int8_t>(pick(rng, -128, 127));
    for (auto& v : b) v = static_cast<std::int8_t>(pick(rng, -128, 127));
    expect_binary_same(p, da, db, a, b, add_s8, add_s8_fast, "case " + std::to_string(i));
  }
}

}  // namespace
}  // namespace tinyscale::device
