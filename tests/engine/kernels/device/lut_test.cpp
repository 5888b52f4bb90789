// lut_s8 with tables filled as the code generator fills them (engine::activation_table_s8, the
// op's own device kernel over the 256 int8 inputs) against those kernels on random tensors:
// byte-identical for sigmoid, tanh and hard-swish, odd sizes, in place too.
#include "engine/kernels/device/lut.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/activation_fusion.h"
#include "engine/kernels/device/hard_swish.h"
#include "engine/kernels/device/sigmoid.h"
#include "engine/kernels/device/tanh.h"

namespace tinyscale::device {
namespace {

template <typename Params, typename Kernel>
void expect_lut_matches(core::OpType op, Params p, Kernel kernel, const std::string& what) {
  std::int8_t table[256];
  ASSERT_TRUE(engine::activation_table_s8(op, &p, table)) << what;
  std::mt19937 rng(7);
  for (const std::int32_t size : {1, 3, 4, 7, 64, 257}) {
    std::vector<std::int8_t> input(static_cast<std::size_t>(size));
    std::uniform_int_distribution<int> value(-128, 127);
    for (auto& v : input) v = static_cast<std::int8_t>(value(rng));
    p.size = size;
    std::vector<std::int8_t> expected(input.size()), actual(input.size());
    kernel(p, input.data(), expected.data(), nullptr);
    const LutS8Params lut = {size, table};
    lut_s8(lut, input.data(), actual.data(), nullptr);
    EXPECT_EQ(actual, expected) << what << " size " << size;
    lut_s8(lut, input.data(), input.data(), nullptr);  // in place
    EXPECT_EQ(input, expected) << what << " size " << size << " in place";
  }
}

TEST(DeviceLutS8, SigmoidTanhAndHardSwishTablesMatchTheirKernels) {
  expect_lut_matches(core::OpType::sigmoid, SigmoidS8Params{0, 0, 120, 1 << 30, 24}, sigmoid_s8,
                     "sigmoid");
  expect_lut_matches(core::OpType::sigmoid, SigmoidS8Params{0, -7, 90, 1518500250, 23}, sigmoid_s8,
                     "sigmoid zero point -7");
  expect_lut_matches(core::OpType::tanh, TanhS8Params{0, 0, 120, 1 << 30, 24}, tanh_s8, "tanh");
  expect_lut_matches(core::OpType::hard_swish, HardSwishS8Params{0, 0, 0, 16384, -6, 17476, 3},
                     hard_swish_s8, "hard_swish");
  expect_lut_matches(core::OpType::hard_swish, HardSwishS8Params{0, -128, 100, 16384, -6, 17476, 3},
                     hard_swish_s8, "hard_swish zero points");
}

TEST(DeviceLutS8, EveryInputReadsItsOwnEntry) {
  std::int8_t table[256], input[256], output[256];
  for (int i = 0; i < 256; ++i) {
    table[i] = static_cast<std::int8_t>(127 - i);
    input[i] = static_cast<std::int8_t>(i - 128);
  }
  lut_s8({256, table}, input, output, nullptr);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(output[i], static_cast<std::int8_t>(127 - i)) << i;
  EXPECT_EQ(lut_s8_scratch_bytes({256, table}), 0);
}

}  // namespace
}  // namespace tinyscale::device
