// The device kernel concat_s8 called directly (no graph, no engine).
#include "engine/kernels/device/concat.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <type_traits>

namespace tinyscale::device {
namespace {

static_assert(std::is_aggregate_v<ConcatS8Params>,
              "a code generator prints params as an initializer");

TEST(DeviceConcatS8, EachOuterStepTakesEveryInputsRowAtItsOffset) {
  // Three inputs [2, 1], [2, 3], [2, 2] along axis 1: outer 2, rows of 1, 3 and 2 bytes at
  // offsets 0, 1 and 4 of each 6-byte output row.
  const std::int8_t a[2] = {1, 2};
  const std::int8_t b[6] = {10, 11, 12, 20, 21, 22};
  const std::int8_t c[4] = {-1, -2, -3, -4};
  const std::int8_t* const inputs[3] = {a, b, c};
  const std::int32_t input_inner[3] = {1, 3, 2};
  const ConcatS8Params p = {/*outer*/ 2, /*num_inputs*/ 3, /*output_inner*/ 6, input_inner};
  std::array<std::int8_t, 12> output{};
  concat_s8(p, inputs, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 12>{1, 10, 11, 12, -1, -2, 2, 20, 21, 22, -3, -4}));
  EXPECT_EQ(concat_s8_scratch_bytes(p), 0);
}

TEST(DeviceConcatS8, OuterOneIsAPlainSequenceOfCopies) {
  const std::int8_t a[3] = {7, 8, 9};
  const std::int8_t b[1] = {-7};
  const std::int8_t* const inputs[2] = {a, b};
  const std::int32_t input_inner[2] = {3, 1};
  const ConcatS8Params p = {1, 2, 4, input_inner};
  std::array<std::int8_t, 4> output{};
  concat_s8(p, inputs, output.data(), nullptr);
  EXPECT_EQ(output, (std::array<std::int8_t, 4>{7, 8, 9, -7}));
}

}  // namespace
}  // namespace tinyscale::device
