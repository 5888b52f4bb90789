// dsp.h's short output stage against requantize_output (issue 16): for every right shift
// 1..31 (and a zero multiplier with any shift), with and without an output table, output offsets at
// the extremes and multipliers over Q0.31's range, accumulators at every boundary of the arithmetic
// (the SMMULR path's |x| < 2^30, the 64-bit path beyond, int32's ends, 0 and +-1) and at random
// must give the same byte; short_output must choose it only where that holds.
#include "engine/kernels/device/dsp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/conv2d.h"

namespace tinyscale::device {
namespace {

Conv2dS8Params lean_params(std::int32_t output_offset, const std::int32_t* multiplier,
                           const std::int8_t* shift) {
  Conv2dS8Params p{};
  p.output_offset = output_offset;
  p.act_min = -128;
  p.act_max = 127;
  p.requant_channels = 1;
  p.multipliers = multiplier;
  p.shifts = shift;
  p.output_table = nullptr;
  return p;
}

TEST(DeviceDspShortStage, MatchesTheFullOutputStageByteForByte) {
  std::mt19937 rng(2316);
  std::vector<std::int32_t> accumulators = {0,
                                            1,
                                            -1,
                                            (1 << 30) - 1,
                                            1 << 30,
                                            -(1 << 30),
                                            -(1 << 30) - 1,
                                            2147483647,
                                            -2147483647,
                                            -2147483647 - 1,
                                            2147483646,
                                            -2147483646,
                                            123456789,
                                            -987654321};
  std::uniform_int_distribution<std::int32_t> any(-2147483647 - 1, 2147483647);
  std::uniform_int_distribution<std::int32_t> small(-200000, 200000);
  for (int i = 0; i < 300; ++i) accumulators.push_back(i % 2 ? any(rng) : small(rng));
  std::int8_t table[256];
  for (auto& v : table) v = static_cast<std::int8_t>(any(rng));
  long compared = 0;
  for (std::int32_t right_shift = 1; right_shift <= 31; ++right_shift) {
    const auto shift = static_cast<std::int8_t>(-right_shift);
    for (const std::int32_t offset : {-128, -1, 0, 1, 127, 37}) {
      for (const std::int32_t multiplier :
           {1 << 30, 2147483647, 1518500250, 0, static_cast<std::int32_t>(any(rng) & 0x7fffffff)}) {
        Conv2dS8Params p = lean_params(offset, &multiplier, &shift);
        if (right_shift % 2 == 0) p.output_table = table;  // a fused activation's table
        ASSERT_TRUE(dsp::short_output(p));
        const dsp::ChannelStage full = dsp::channel_stage(p, 0);
        const dsp::ShortStage lean = dsp::short_stage(p, nullptr, 0);
        for (const std::int32_t acc : accumulators) {
          // Near the stage's own boundaries too: where high crosses a rounding step.
          ASSERT_EQ(dsp::requantize_short(lean, acc), dsp::requantize_output(p, full, acc))
              << "acc " << acc << " multiplier " << multiplier << " shift " << int{shift}
              << " offset " << offset << (p.output_table ? " table" : "");
          ++compared;
        }
      }
    }
  }
  // A zero multiplier (a channel whose weights are all zero) with a shift of 0.
  const std::int32_t zero = 0;
  const std::int8_t no_shift = 0;
  const Conv2dS8Params p = lean_params(5, &zero, &no_shift);
  ASSERT_TRUE(dsp::short_output(p));
  for (const std::int32_t acc : accumulators) {
    ASSERT_EQ(dsp::requantize_short(dsp::short_stage(p, nullptr, 0), acc),
              dsp::requantize_output(p, dsp::channel_stage(p, 0), acc));
  }
  EXPECT_GT(compared, 100000);
}

// The pointwise kernel's assembly stage (conv2d_fast_impl.h, quad_expanded_short) rounds
// without 2^(rs-1): with S = high + [high < 0] (as 0 or -1) and rs - 1 = ~shift,
//   saturate(((S >> (rs-1)) + 2 offset + 1) >> 1) == saturate(((high + 2^(rs-1) - [high < 0])
//   >> rs) + offset),
// requantize_short's form, for every right shift, offset and |high| < 2^30 (all SMMULR of
// 2x gives where |x| < 2^30).
TEST(DeviceDspShortStage, TheHalvedRoundingShiftIsTheRoundingShift) {
  std::mt19937 rng(31);
  std::vector<std::int32_t> highs = {0, 1, -1, 2, -2, 3, -3, 1 << 30, -(1 << 30), (1 << 30) - 1,
                                     -(1 << 30) + 1};
  for (int k = 1; k <= 30; ++k) {
    for (const std::int32_t d : {-1, 0, 1}) {
      highs.push_back((1 << k) + d);
      highs.push_back(-(1 << k) + d);
      highs.push_back(3 * (1 << (k - 1)) + d);
      highs.push_back(-3 * (1 << (k - 1)) + d);
    }
  }
  std::uniform_int_distribution<std::int32_t> any(-(1 << 30), 1 << 30);
  for (int i = 0; i < 2000; ++i) highs.push_back(any(rng));
  // SMMULR of 2x with |x| < 2^30 and a Q0.31 multiplier: |high| < 2^30.
  std::erase_if(highs, [](std::int32_t h) { return h >= (1 << 30) || h <= -(1 << 30); });
  std::int64_t compared = 0;
  for (std::int8_t shift = -1; shift >= -31; --shift) {
    const std::int32_t rs = -shift;
    const std::int32_t rs1 = ~static_cast<std::int32_t>(shift);
    ASSERT_EQ(rs1, rs - 1);
    for (const std::int32_t offset : {-128, -1, 0, 1, 96, 127}) {
      for (const std::int32_t high : highs) {
        const std::int32_t half = static_cast<std::int32_t>(std::uint32_t{1} << (rs - 1));
        const std::int32_t expected = dsp::saturate_s8(((high + (half + (high >> 31))) >> rs) + offset);
        const std::int32_t s = high + (high >> 31);
        const std::int32_t actual = dsp::saturate_s8(((s >> rs1) + 2 * offset + 1) >> 1);
        ASSERT_EQ(actual, expected) << "high " << high << " shift " << int{shift} << " offset "
                                    << offset;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 400000);
}

TEST(DeviceDspShortStage, BiasIsAddedWrappingAsTheReference) {
  const std::int32_t multiplier = 1 << 30;
  const std::int8_t shift = -1;
  const Conv2dS8Params p = lean_params(-128, &multiplier, &shift);
  const std::int32_t bias[] = {2147483647};
  const dsp::ShortStage lean = dsp::short_stage(p, bias, 0);
  const dsp::ChannelStage full = dsp::channel_stage(p, bias, 0);
  for (const std::int32_t acc : {1, 100, -5, 2147483647}) {
    EXPECT_EQ(dsp::finish_short(lean, acc), dsp::finish(p, full, acc)) << acc;
  }
}

TEST(DeviceDspShortStage, OnlyForAFullInt8RangeAndRightShiftsOneTo31) {
  std::int32_t multipliers[] = {1 << 30, 1 << 30};
  std::int8_t shifts[] = {-7, -31};
  Conv2dS8Params p = lean_params(-128, multipliers, shifts);
  p.requant_channels = 2;
  EXPECT_TRUE(dsp::short_output(p));
  shifts[1] = -32;
  EXPECT_FALSE(dsp::short_output(p));
  shifts[1] = 0;  // no rounding shift
  EXPECT_FALSE(dsp::short_output(p));
  multipliers[1] = 0;  // ... unless the channel's multiplier is 0 (all-zero weights)
  EXPECT_TRUE(dsp::short_output(p));
  multipliers[1] = 1 << 30;
  shifts[1] = 3;  // a left shift
  EXPECT_FALSE(dsp::short_output(p));
  shifts[1] = -1;
  EXPECT_TRUE(dsp::short_output(p));
  p.act_min = 0;  // a clamp inside int8
  EXPECT_FALSE(dsp::short_output(p));
  p.act_min = -128;
  p.act_max = 100;
  EXPECT_FALSE(dsp::short_output(p));
  p.act_max = 127;
  const std::int8_t table[256] = {};
  p.output_table = table;  // a fused activation's table: the stage applies it
  EXPECT_TRUE(dsp::short_output(p));
}

}  // namespace
}  // namespace tinyscale::device
