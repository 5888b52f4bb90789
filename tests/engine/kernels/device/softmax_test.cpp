// The device kernel softmax_s8 called directly on hand-made params.
#include "engine/kernels/device/softmax.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<SoftmaxS8Params>);

// beta × input scale = 1/16 as TFLite's PreprocessSoftmaxScaling gives it for Q5.26:
// 2^31 × min(1/16 × 2^26, 2^31 - 1)... = multiplier 2^30, left shift 23.
constexpr SoftmaxS8Params kParams = {/*rows*/ 2, /*depth*/ 2, 1 << 30, 23, /*diff_min*/ -10};

TEST(DeviceSoftmaxS8, EqualInputsSplitEvenlyAndFarInputsGetNothing) {
  // Row 0: equal -> 0.5 each = 128/256 -> -128 + 128 = 0. Row 1: the second input is 100
  // below the maximum (beyond diff_min) -> exactly 0 (-128); the first gets 1.0 -> 127.
  const std::int8_t input[4] = {5, 5, 50, -50};
  std::array<std::int8_t, 4> output{};
  softmax_s8(kParams, input, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 4>{0, 0, 127, -128}));
  EXPECT_EQ(softmax_s8_scratch_bytes(kParams), 0);
}

}  // namespace
}  // namespace tinyscale::device
