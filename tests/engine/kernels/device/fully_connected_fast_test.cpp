// fully_connected_s8_fast against its oracle fully_connected_s8 (issue 16): random layers
// (odd feature counts, several batches, zero points at the extremes, per-tensor and
// per-channel shifts of both signs, activation ranges) must give byte-identical outputs, with
// the bias folded and the weights reordered as the code generator does it; asymmetric weights
// are not taken. Each case runs without and, where the kernel takes it, with the optional
// scratch.
#include "engine/kernels/device/fully_connected_fast.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/fully_connected.h"

namespace tinyscale::device {
namespace {

struct Case {
  FullyConnectedS8Params p{};
  std::vector<std::int8_t> input, weights, shifts;
  std::vector<std::int32_t> bias, multipliers;
  bool with_bias = true;
};

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

Case random_case(std::mt19937& rng) {
  Case c;
  FullyConnectedS8Params& p = c.p;
  p.in_features = pick(rng, 1, 3) == 1 ? pick(rng, 1, 70) : 4 * pick(rng, 1, 40);
  p.batches = p.in_features % 4 == 0 ? pick(rng, 1, 3) : 1;
  p.out_features = pick(rng, 1, 37);
  const int zero_points[] = {-128, 127, 0, pick(rng, -128, 127)};
  p.input_offset = -zero_points[pick(rng, 0, 3)];
  p.weight_offset = 0;
  p.output_offset = zero_points[pick(rng, 0, 3)];
  p.act_min = pick(rng, 0, 1) ? -128 : pick(rng, -128, 0);
  p.act_max = pick(rng, 0, 1) ? 127 : pick(rng, p.act_min, 127);
  p.requant_channels = pick(rng, 0, 1) ? p.out_features : 1;
  for (int i = 0; i < p.requant_channels; ++i) {
    // Now and then the output stage's rare cases: right shifts past 23, small multipliers.
    const int kind = pick(rng, 0, 9);
    c.multipliers.push_back(kind == 1 ? pick(rng, 0, 1 << 20) : pick(rng, 1 << 30, 2147483647));
    c.shifts.push_back(
        static_cast<std::int8_t>(kind == 2 ? pick(rng, -31, -20) : pick(rng, -12, 2)));
  }
  auto fill = [&](std::vector<std::int8_t>& v, std::size_t n) {
    v.resize(n);
    for (auto& x : v) x = static_cast<std::int8_t>(pick(rng, -128, 127));
  };
  fill(c.input, static_cast<std::size_t>(p.batches * p.in_features));
  fill(c.weights, static_cast<std::size_t>(p.out_features * p.in_features));
  for (auto& w : c.weights) w = std::max<std::int8_t>(w, -127);  // symmetric int8 weights
  c.with_bias = pick(rng, 0, 3) != 0;
  for (int i = 0; i < p.out_features; ++i) c.bias.push_back(pick(rng, -100000, 100000));
  p.multipliers = c.multipliers.data();
  p.shifts = c.shifts.data();
  return c;
}

// TFLite's usual per-tensor requantization: what the kernel's short output stage takes, and
// with it the optional scratch (fully_connected_fast.h).
bool usual_requantization(const FullyConnectedS8Params& p) {
  return p.requant_channels == 1 && p.act_min == -128 && p.act_max == 127 &&
         p.output_offset >= -128 && p.output_offset <= 127 &&
         (p.multipliers[0] == 0 || (p.shifts[0] <= -1 && p.shifts[0] >= -31));
}

// scratch_runs (if given) counts the calls that took the optional scratch.
void expect_same_as_reference(const Case& c, const std::string& what, int* scratch_runs = nullptr) {
  const FullyConnectedS8Params& p = c.p;
  ASSERT_TRUE(fully_connected_s8_fast_applies(p)) << what;
  ASSERT_EQ(fully_connected_s8_fast_scratch_bytes(p), 0) << what;
  const auto n = static_cast<std::size_t>(p.batches * p.out_features);
  std::vector<std::int8_t> expected(n, 0x55), actual(n, 0x55);
  const std::int32_t* bias = c.with_bias ? c.bias.data() : nullptr;
  fully_connected_s8(p, c.input.data(), c.weights.data(), bias, expected.data(), nullptr);
  std::vector<std::int32_t> folded(static_cast<std::size_t>(p.out_features));
  fully_connected_s8_fold_bias(p, c.weights.data(), bias, folded.data());
  std::vector<std::int8_t> reordered(c.weights.size(), 0x77);
  fully_connected_s8_fast_reorder_weights(p, c.weights.data(), reordered.data());
  // The reorder is a permutation: the same multiset of bytes.
  std::vector<std::int8_t> a = c.weights, b = reordered;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  ASSERT_EQ(a, b) << what;
  fully_connected_s8_fast(p, c.input.data(), reordered.data(), folded.data(), actual.data(),
                          nullptr);
  ASSERT_EQ(actual, expected) << what;
  // With the optional scratch (the input's int16 copy), where the kernel takes it: the same
  // bytes, and nothing written past the scratch's end.
  const std::int32_t optional = fully_connected_s8_fast_optional_scratch_bytes(p);
  ASSERT_EQ(optional > 0, usual_requantization(p) && p.in_features % 4 == 0 && p.out_features >= 8)
      << what;
  if (optional > 0) {
    if (scratch_runs) ++*scratch_runs;
    ASSERT_EQ(optional, 2 * p.in_features) << what;
    std::vector<std::uint32_t> scratch(static_cast<std::size_t>(optional / 4 + 1), 0xA5A5A5A5u);
    std::fill(actual.begin(), actual.end(), 0x55);
    fully_connected_s8_fast(p, c.input.data(), reordered.data(), folded.data(), actual.data(),
                            reinterpret_cast<std::int8_t*>(scratch.data()));
    ASSERT_EQ(actual, expected) << what << " (with scratch)";
    ASSERT_EQ(scratch.back(), 0xA5A5A5A5u) << what << " (with scratch)";
  }
}

std::string describe(const FullyConnectedS8Params& p) {
  return std::to_string(p.batches) + "x" + std::to_string(p.in_features) + " -> " +
         std::to_string(p.out_features) + " in_off " + std::to_string(p.input_offset) +
         " out_off " + std::to_string(p.output_offset) + " act [" + std::to_string(p.act_min) +
         ", " + std::to_string(p.act_max) + "] requant " + std::to_string(p.requant_channels);
}

TEST(DeviceFullyConnectedS8Fast, RandomLayersMatchTheReferenceByteForByte) {
  std::mt19937 rng(16);
  int scratch_runs = 0;
  for (int i = 0; i < 500; ++i) {
    const Case c = random_case(rng);
    expect_same_as_reference(c, "case " + std::to_string(i) + ": " + describe(c.p), &scratch_runs);
  }
  EXPECT_GE(scratch_runs, 10);  // the int16 pairs path ran on enough of them
}

TEST(DeviceFullyConnectedS8Fast, AutoencoderShapesMatch) {
  // The MLPerf autoencoder's layers: 640 -> 128, 128 -> 8, 8 -> 128, 128 -> 640, with its
  // requantization (one right shift, the whole int8 range: ReLU at output zero point -128),
  // so all but the 12 -> 4 layer also run from the optional scratch.
  std::mt19937 rng(640);
  int scratch_runs = 0;
  for (const auto& [in, out] :
       {std::pair{640, 128}, {128, 8}, {8, 128}, {128, 640}, {12, 4}, {20, 8}}) {
    Case c = random_case(rng);
    FullyConnectedS8Params& p = c.p;
    p.batches = 1;
    p.in_features = in;
    p.out_features = out;
    c.input.resize(static_cast<std::size_t>(in));
    c.weights.assign(static_cast<std::size_t>(in * out), 0);
    for (auto& w : c.weights) w = static_cast<std::int8_t>(pick(rng, -127, 127));
    c.bias.resize(static_cast<std::size_t>(out), 77);
    c.multipliers.assign(static_cast<std::size_t>(out), 1 << 30);
    c.shifts.assign(static_cast<std::size_t>(out), -7);
    p.requant_channels = 1;
    p.multipliers = c.multipliers.data();
    p.shifts = c.shifts.data();
    p.act_min = -128;
    p.act_max = 127;
    expect_same_as_reference(c, describe(p), &scratch_runs);
  }
  EXPECT_EQ(scratch_runs, 5);
}

TEST(DeviceFullyConnectedS8Fast, ExtremeValuesAndZeroPointsMatch) {
  // Inputs at -128 with zero point 127 (x + offset = -255) and 127 with zero point -128
  // (255), weights -127: the largest products over 640 features.
  for (const int zero_point : {127, -128}) {
    Case c;
    FullyConnectedS8Params& p = c.p;
    p = {2, 640, 13, -zero_point, 0, -128, -128, 127, 1, nullptr, nullptr};
    c.input.assign(2 * 640, static_cast<std::int8_t>(zero_point == 127 ? -128 : 127));
    c.weights.assign(13 * 640, -127);
    c.bias.assign(13, 0);
    c.multipliers = {1 << 30};
    c.shifts = {-16};
    p.multipliers = c.multipliers.data();
    p.shifts = c.shifts.data();
    expect_same_as_reference(c, "zero point " + std::to_string(zero_point));
  }
}

TEST(DeviceFullyConnectedS8Fast, OutputStageSaturationCasesMatch) {
  // acc + bias near INT32_MAX with a right shift of 31 (or 24): the rounding add would
  // overflow (exact 1, saturated 0); 23 is the largest shift the saturating add serves.
  struct Stage {
    std::int32_t bias, multiplier;
    std::int8_t shift;
  };
  for (const Stage& st : {Stage{2147483647 - 4 * 127 * 127, 2147483647, -31},
                          Stage{2147483647 - 4 * 127 * 127, 2147483647, -24},
                          Stage{2147483647 - 4 * 127 * 127, 2147483647, -23}}) {
    Case c;
    FullyConnectedS8Params& p = c.p;
    p = {1, 4, 5, 0, 0, -128, -128, 127, 1, nullptr, nullptr};
    c.input.assign(4, 127);
    c.weights.assign(20, 127);
    c.bias.assign(5, st.bias);
    c.multipliers = {st.multiplier};
    c.shifts = {st.shift};
    p.multipliers = c.multipliers.data();
    p.shifts = c.shifts.data();
    expect_same_as_reference(c, "shift " + std::to_string(st.shift));
  }
}

TEST(DeviceFullyConnectedS8Fast, FoldedBiasIsBiasPlusInputOffsetTimesWeightSum) {
  const FullyConnectedS8Params p = {1, 4, 2, 128, 0, 0, -128, 127, 1, nullptr, nullptr};
  const std::int8_t w[8] = {1, 2, 3, 4, -128, -128, -128, -128};
  const std::int32_t bias[2] = {10, 2147483647};
  std::int32_t folded[2];
  fully_connected_s8_fold_bias(p, w, bias, folded);
  EXPECT_EQ(folded[0], 10 + 128 * 10);
  EXPECT_EQ(folded[1], 2147483647 - 128 * 512);
  fully_connected_s8_fold_bias(p, w, nullptr, folded);
  EXPECT_EQ(folded[0], 1280);
}

TEST(DeviceFullyConnectedS8Fast, ReorderInterleavesBlocksOfFourRowsInStepsOfFour) {
  // 5 rows x 10 features: rows 0..3 four features at a time (row 0's, row 1's, ...), then
  // their 2-feature tails; row 4 unchanged.
  const FullyConnectedS8Params p = {1, 10, 5, 0, 0, 0, -128, 127, 1, nullptr, nullptr};
  std::int8_t w[50], out[50];
  for (int i = 0; i < 50; ++i) w[i] = static_cast<std::int8_t>(i);
  fully_connected_s8_fast_reorder_weights(p, w, out);
  const std::int8_t expected[50] = {0,  1,  2,  3,  10, 11, 12, 13, 20, 21, 22, 23, 30,
                                    31, 32, 33, 4,  5,  6,  7,  14, 15, 16, 17, 24, 25,
                                    26, 27, 34, 35, 36, 37, 8,  9,  18, 19, 28, 29, 38,
                                    39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49};
  EXPECT_TRUE(std::equal(out, out + 50, expected));
}

TEST(DeviceFullyConnectedS8Fast, AsymmetricWeightsOrMisalignedBatchesAreNotTaken) {
  FullyConnectedS8Params p = {1, 10, 5, 0, 3, 0, -128, 127, 1, nullptr, nullptr};
  EXPECT_FALSE(fully_connected_s8_fast_applies(p));  // weight zero point -3
  p.weight_offset = 0;
  EXPECT_TRUE(fully_connected_s8_fast_applies(p));
  p.batches = 2;  // the second batch row would start at byte 10
  EXPECT_FALSE(fully_connected_s8_fast_applies(p));
  p.in_features = 12;
  EXPECT_TRUE(fully_connected_s8_fast_applies(p));
}

// The optional scratch only where the kernel uses it: the short output stage (TFLite's usual
// per-tensor requantization), in_features % 4 == 0, two row blocks or more, and where the
// fast kernel applies at all.
TEST(DeviceFullyConnectedS8Fast, OptionalScratchOnlyWhereTheShortStageUsesIt) {
  const std::int32_t multiplier[1] = {1 << 30};
  const std::int8_t shift[1] = {-7};
  const FullyConnectedS8Params usual = {1, 640, 128, 89, 0, -128, -128, 127, 1, multiplier, shift};
  EXPECT_EQ(fully_connected_s8_fast_optional_scratch_bytes(usual), 1280);
  FullyConnectedS8Params p = usual;
  p.act_min = 0;  // a restricted activation range: the longer stage
  EXPECT_EQ(fully_connected_s8_fast_optional_scratch_bytes(p), 0);
  p = usual;
  const std::int8_t left[1] = {2};  // a left shift
  p.shifts = left;
  EXPECT_EQ(fully_connected_s8_fast_optional_scratch_bytes(p), 0);
  p = usual;
  const std::int32_t multipliers[128] = {};
  const std::int8_t shifts[128] = {};
  p.requant_channels = 128;  // per-channel
  p.multipliers = multipliers;
  p.shifts = shifts;
  EXPECT_EQ(fully_connected_s8_fast_optional_scratch_bytes(p), 0);
  p = usual;
  p.weight_offset = 3;  // asymmetric weights: not the fast kernel
  EXPECT_EQ(fully_connected_s8_fast_optional_scratch_bytes(p), 0);
  p = usual;
  p.out_features = 4;  // one row block
  EXPECT_EQ(fully_connected_s8_fast_optional_scratch_bytes(p), 0);
  p = usual;
  p.in_features = 13;
  EXPECT_EQ(fully_connected_s8_fast_optional_scratch_bytes(p), 0);
}

}  // namespace
}  // namespace tinyscale::device
