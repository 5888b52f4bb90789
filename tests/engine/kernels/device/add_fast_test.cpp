// add_s8_fast against its oracle add_s8 (issue 16): every pair of int8 values under
// requantizations from random scales (as the engine's prepare derives them) and from random
// raw params at their bounds (every shift in [-31, 0], multipliers near 2^30 and 2^31, zero
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

namespace tinyscale::device {
namespace {

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

Broadcast4d broadcast(const std::int32_t (&a)[4], const std::int32_t (&b)[4]) {
  Broadcast4d s{};
  std::int32_t step_a = 1, step_b = 1;
  for (int i = 3; i >= 0; --i) {
    s.dims[i] = std::max(a[i], b[i]);
    s.stride_a[i] = a[i] == 1 ? 0 : step_a;
    s.stride_b[i] = b[i] == 1 ? 0 : step_b;
    step_a *= a[i];
    step_b *= b[i];
  }
  return s;
}

std::int32_t count(const std::int32_t (&d)[4]) { return d[0] * d[1] * d[2] * d[3]; }

void expect_same(const AddS8Params& p, const std::int32_t (&da)[4], const std::int32_t (&db)[4],
                 const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& b,
                 const std::string& what) {
  const auto n = static_cast<std::size_t>(count(p.shape.dims));
  std::vector<std::int8_t> expected(n + 8, 0x55), actual(n + 8, 0x55);
  add_s8(p, a.data(), b.data(), expected.data(), nullptr);
  add_s8_fast(p, a.data(), b.data(), actual.data(), nullptr);
  ASSERT_EQ(actual, expected) << what;
  if (count(da) == static_cast<std::int32_t>(n)) {
    std::vector<std::int8_t> in_place = a;
    in_place.resize(n + 8, 0x55);
    add_s8_fast(p, in_place.data(), b.data(), in_place.data(), nullptr);
    ASSERT_EQ(in_place, expected) << what << " (in place over input 1)";
  }
  if (count(db) == static_cast<std::int32_t>(n)) {
    std::vector<std::int8_t> in_place = b;
    in_place.resize(n + 8, 0x55);
    add_s8_fast(p, a.data(), in_place.data(), in_place.data(), nullptr);
    ASSERT_EQ(in_place, expected) << what << " (in place over input 2)";
  }
}

// Half the time from scales as engine/kernels/add.cpp derives them, else raw params at the
// fast path's bounds (and one case in ten beyond them: a shift of -32 or 1).
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
    if (pick(rng, 0, 9) == 0) p.output_shift = pick(rng, 0, 1) ? -32 : 1;
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
    p.shape = broadcast(d, d);
    fast += add_s8_fast_short_stage(p) ? 1 : 0;
    expect_same(p, d, d, a, b, "params " + std::to_string(i));
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
    p.shape = broadcast(da, db);
    std::vector<std::int8_t> a(static_cast<std::size_t>(count(da)));
    std::vector<std::int8_t> b(static_cast<std::size_t>(count(db)));
    for (auto& v : a) v = static_cast<std::int8_t>(pick(rng, -128, 127));
    for (auto& v : b) v = static_cast<std::int8_t>(pick(rng, -128, 127));
    expect_same(p, da, db, a, b, "case " + std::to_string(i));
  }
}

}  // namespace
}  // namespace tinyscale::device
