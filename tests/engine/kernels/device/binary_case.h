// What the binary fast kernels' host tests share (add_fast_test, mul_fast_test): one call of a
// fast kernel against its oracle, out of place and in place over either input that has the
// output's shape, each output byte-identical and no byte past it written; the inputs every
// pair of int8 values makes; random zero points and activation ranges; random shapes and
// broadcasts.
//
//   expect_binary_same(p, da, db, a, b, add_s8, add_s8_fast, "case 3");
//   expect_random_broadcast_same(rng, 3, p, add_s8, add_s8_fast);
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/kernels/device/broadcast.h"
#include "tests/engine/kernels/device/random_pick.h"

namespace tinyscale::device {

inline std::int32_t elements(const std::int32_t (&d)[4]) { return d[0] * d[1] * d[2] * d[3]; }

// Inputs of shape [1, 1, 256, 256] holding every pair of int8 values: a runs over all 256
// values for each of b's.
inline void every_value_pair(std::vector<std::int8_t>* a, std::vector<std::int8_t>* b) {
  a->resize(65536);
  b->resize(65536);
  for (std::size_t i = 0; i < 65536; ++i) {
    (*a)[i] = static_cast<std::int8_t>(i & 255);
    (*b)[i] = static_cast<std::int8_t>(i >> 8);
  }
}

// The params' zero points (one in three at -128, 127, 0 or -1) and activation range (two in
// three all of int8).
template <typename P>
void random_offsets_and_range(std::mt19937& rng, P& p) {
  const int zero_points[] = {-128, 127, 0, -1};
  p.input1_offset = -(pick(rng, 0, 2) ? pick(rng, -128, 127) : zero_points[pick(rng, 0, 3)]);
  p.input2_offset = -(pick(rng, 0, 2) ? pick(rng, -128, 127) : zero_points[pick(rng, 0, 3)]);
  p.output_offset = pick(rng, 0, 2) ? pick(rng, -128, 127) : zero_points[pick(rng, 0, 3)];
  p.act_min = pick(rng, 0, 2) ? -128 : pick(rng, -128, 0);
  p.act_max = pick(rng, 0, 2) ? 127 : pick(rng, p.act_min, 127);
}

// p.shape is the broadcast of shapes da (input 1) and db (input 2).
template <typename P, typename Ref, typename Fast>
void expect_binary_same(const P& p, const std::int32_t (&da)[4], const std::int32_t (&db)[4],
                        const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& b,
                        Ref reference, Fast fast, const std::string& what) {
  const auto n = static_cast<std::size_t>(elements(p.shape.dims));
  std::vector<std::int8_t> expected(n + 8, 0x55), actual(n + 8, 0x55);
  reference(p, a.data(), b.data(), expected.data(), nullptr);
  fast(p, a.data(), b.data(), actual.data(), nullptr);
  ASSERT_EQ(actual, expected) << what;
  if (static_cast<std::size_t>(elements(da)) == n) {
    std::vector<std::int8_t> in_place = a;
    in_place.resize(n + 8, 0x55);
    fast(p, in_place.data(), b.data(), in_place.data(), nullptr);
    ASSERT_EQ(in_place, expected) << what << " (in place over input 1)";
  }
  if (static_cast<std::size_t>(elements(db)) == n) {
    std::vector<std::int8_t> in_place = b;
    in_place.resize(n + 8, 0x55);
    fast(p, a.data(), in_place.data(), in_place.data(), nullptr);
    ASSERT_EQ(in_place, expected) << what << " (in place over input 2)";
  }
}

// Case i of a random shape (by i % 4: elementwise; a [.., C] operand as input 2; as input 1;
// one axis of each repeated) and random values, compared by expect_binary_same.
template <typename P, typename Ref, typename Fast>
void expect_random_broadcast_same(std::mt19937& rng, int i, P p, Ref reference, Fast fast) {
  std::int32_t da[4] = {pick(rng, 1, 2), pick(rng, 1, 6), pick(rng, 1, 6), pick(rng, 1, 37)};
  std::int32_t db[4] = {da[0], da[1], da[2], da[3]};
  switch (i % 4) {
    case 0:  // elementwise
      break;
    case 1:  // a [.., C] operand (a squeeze-excite gate) as input 2
      db[1] = db[2] = 1;
      break;
    case 2:  // as input 1
      for (int k = 0; k < 4; ++k) std::swap(da[k], db[k]);
      da[1] = da[2] = 1;
      break;
    default:  // any other broadcast: one axis of each repeated
      da[pick(rng, 0, 3)] = 1;
      db[pick(rng, 0, 3)] = 1;
      break;
  }
  p.shape = broadcast_4d(da, db);
  std::vector<std::int8_t> a(static_cast<std::size_t>(elements(da)));
  std::vector<std::int8_t> b(static_cast<std::size_t>(elements(db)));
  for (auto& v : a) v = static_cast<std::int8_t>(pick(rng, -128, 127));
  for (auto& v : b) v = static_cast<std::int8_t>(pick(rng, -128, 127));
  expect_binary_same(p, da, db, a, b, reference, fast, "case " + std::to_string(i));
}

}  // namespace tinyscale::device
