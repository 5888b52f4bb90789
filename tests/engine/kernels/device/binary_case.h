// What the binary fast kernels' host tests share (add_fast_test, mul_fast_test): one call of a
// fast kernel against its oracle, out of place and in place over either input that has the
// output's shape, each output byte-identical and no byte past it written.
//
//   expect_binary_same(p, da, db, a, b, add_s8, add_s8_fast, "case 3");
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tinyscale::device {

inline std::int32_t elements(const std::int32_t (&d)[4]) { return d[0] * d[1] * d[2] * d[3]; }

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

}  // namespace tinyscale::device
