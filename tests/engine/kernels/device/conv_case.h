// What the fast convolution kernels' random tests share (issue 16): a case's buffers, the
// random output stage and a one-line description. Each test draws its own shapes; the output
// stage is drawn here so that every kernel meets the same ones: zero points at the extremes,
// activation ranges, per-tensor or per-channel multipliers and shifts of both signs, with or
// without an output table, and, one case in three, TFLite's usual stage (activation range all of
// int8, right shifts 1..31, now and then a zero multiplier), which takes the kernels' short
// output stage (dsp.h short_output).
//
//   std::mt19937 rng(16);
//   ConvCase c;
//   c.p.out_c = 12;  ... the shapes ...
//   random_output_stage(rng, c);
//   fill_random(rng, c.input, n);
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/device/conv2d.h"
#include "tests/engine/kernels/device/random_pick.h"

namespace tinyscale::device {

struct ConvCase {
  Conv2dS8Params p{};
  std::vector<std::int8_t> input, weights, shifts, table;
  std::vector<std::int32_t> bias, multipliers;
  bool with_bias = true;
};

inline void fill_random(std::mt19937& rng, std::vector<std::int8_t>& v, std::size_t n) {
  v.resize(n);
  for (auto& x : v) x = static_cast<std::int8_t>(pick(rng, -128, 127));
}

// The zero points, activation range, requantization (for c.p.out_c channels), output table
// and bias of c; c.p's pointers are set to c's vectors.
inline void random_output_stage(std::mt19937& rng, ConvCase& c) {
  Conv2dS8Params& p = c.p;
  const bool usual = pick(rng, 0, 2) == 0;
  const int zero_points[] = {-128, 127, 0, pick(rng, -128, 127)};
  p.input_offset = -zero_points[pick(rng, 0, 3)];
  p.output_offset = zero_points[pick(rng, 0, 3)];
  p.act_min = usual || pick(rng, 0, 1) ? -128 : pick(rng, -128, 0);
  p.act_max = usual || pick(rng, 0, 1) ? 127 : pick(rng, p.act_min, 127);
  p.requant_channels = pick(rng, 0, 1) ? p.out_c : 1;
  c.multipliers.clear();
  c.shifts.clear();
  for (int i = 0; i < p.requant_channels; ++i) {
    const bool zero = usual && pick(rng, 0, 15) == 0;  // a channel of zero weights
    c.multipliers.push_back(zero ? 0 : pick(rng, 1 << 30, 2147483647));
    c.shifts.push_back(static_cast<std::int8_t>(zero    ? 0
                                                : usual ? pick(rng, -31, -1)
                                                        : pick(rng, -12, 2)));
  }
  c.with_bias = pick(rng, 0, 3) != 0;
  c.bias.clear();
  for (int i = 0; i < p.out_c; ++i) c.bias.push_back(pick(rng, -100000, 100000));
  p.output_table = nullptr;
  if (pick(rng, 0, 1)) {
    fill_random(rng, c.table, 256);
    p.output_table = c.table.data();
  }
  p.multipliers = c.multipliers.data();
  p.shifts = c.shifts.data();
}

inline std::string describe(const Conv2dS8Params& p) {
  std::string shifts;
  for (int i = 0; i < p.requant_channels && i < 4; ++i) {
    shifts += (i ? "," : "") + std::to_string(p.shifts[i]);
  }
  return std::to_string(p.batches) + "x" + std::to_string(p.in_h) + "x" + std::to_string(p.in_w) +
         "x" + std::to_string(p.in_c) + " -> " + std::to_string(p.out_h) + "x" +
         std::to_string(p.out_w) + "x" + std::to_string(p.out_c) + " k" +
         std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + " s" +
         std::to_string(p.stride_h) + "," + std::to_string(p.stride_w) + " pad " +
         std::to_string(p.pad_top) + "," + std::to_string(p.pad_left) + " in_off " +
         std::to_string(p.input_offset) + " out_off " + std::to_string(p.output_offset) + " act [" +
         std::to_string(p.act_min) + ", " + std::to_string(p.act_max) + "] requant " +
         std::to_string(p.requant_channels) + " shifts " + shifts +
         (p.requant_channels > 4 ? ",..." : "") + (p.output_table ? " table" : "");
}

}  // namespace tinyscale::device
