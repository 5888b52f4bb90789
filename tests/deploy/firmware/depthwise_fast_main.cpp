// Test firmware (tests/deploy/depthwise_fast_qemu_test.cpp): conv2d_s8 and depthwise_s8_fast
// on the same depthwise convolutions (SAME padding), on the device. Data come from a fixed
// LCG; the weights are reordered and the bias folded on the device as the code generator does
// it. For case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
//   caseI_fast_path=0|1
// and exits 0 (1 if any byte differs). Cases 0..2 are the measured shapes (DS-CNN's 25x5x64
// 3x3 s1, a PhiNet-like 48x48x16 3x3 s1 and 24x24x32 3x3 s2); the others are small odd ones,
// the last six with TFLite's usual shifts (the 3x3 short stage in assembly, dw3x3_short, with
// its windows moved back inside at every edge and corner; a 2-row input that takes the C++
// loops instead; zero multipliers and biases near +-2^30 for its overflow path).
// Then in place (3x3 s1 SAME, output == input, one channel plane of scratch): conv2d_s8 in
// place against depthwise_s8_fast_in_place (original weights, folded bias), reported as
//   TINYSCALE ipI_ref_instructions=N ipI_fast_instructions=N ipI_mismatch_bytes=N ipI_fast_path=0|1
// case ip0 is a PhiNet-like 48x48x16 (the deployed PhiNet's in-place layer is 48x48x80).
#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/conv2d_fast.h"
#include "engine/kernels/device/depthwise_fast.h"
#include "engine/kernels/device/depthwise_fast_in_place.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::Conv2dS8Params;

// usual: TFLite's usual right shifts (cases 0..2 too); big: every other channel's bias near
// +-2^30 and every fifth channel's multiplier 0.
struct Case {
  int batches, in_h, in_w, channels, kernel_h, kernel_w, stride, per_channel, table, in_zp, out_zp,
      act_min, act_max;
  int usual = 0, big = 0;
};

constexpr Case kCases[] = {
    {1, 25, 5, 64, 3, 3, 1, 1, 0, -128, -12, -128, 127},
    {1, 48, 48, 16, 3, 3, 1, 1, 0, -3, 5, -128, 127},
    {1, 24, 24, 32, 3, 3, 2, 1, 0, 7, -128, -128, 127},
    {1, 7, 6, 10, 3, 3, 2, 0, 1, 127, 3, -128, 127},
    {1, 9, 5, 7, 5, 3, 1, 1, 0, -128, 0, -20, 90},
    {2, 4, 9, 13, 2, 2, 1, 1, 1, 12, -7, -100, 100},
    {1, 11, 11, 6, 3, 3, 3, 0, 0, 0, 127, -128, 0},
    {1, 1, 1, 1, 3, 3, 1, 1, 0, 127, -128, -128, 127},
    {1, 5, 7, 8, 3, 3, 1, 1, 0, 3, -5, -128, 127, 1, 0},
    {1, 6, 6, 12, 3, 3, 2, 0, 1, -128, 7, -128, 127, 1, 0},
    {1, 3, 3, 6, 3, 3, 1, 1, 0, 0, 0, -128, 127, 1, 1},
    {2, 7, 4, 4, 3, 3, 2, 1, 1, 127, -128, -128, 127, 1, 0},
    {1, 2, 5, 4, 3, 3, 1, 1, 0, 5, 5, -128, 127, 1, 0},
    {1, 9, 8, 5, 3, 3, 3, 1, 0, -7, 9, -128, 127, 1, 1},
};

std::int8_t g_input[48 * 48 * 16];
std::int8_t g_ref[48 * 48 * 16];
std::int8_t g_fast[48 * 48 * 16];
std::int8_t g_weights[64 * 9];
std::int8_t g_reordered[64 * 9];
std::int32_t g_bias[64];
std::int32_t g_folded[64];
std::int32_t g_multipliers[64];
std::int8_t g_shifts[64];
std::int8_t g_table[256];
std::int8_t g_scratch[48 * 48];

struct InPlaceCase {
  int batches, in_h, in_w, channels, per_channel, table, in_zp, out_zp, act_min, act_max;
};

constexpr InPlaceCase kInPlaceCases[] = {
    {1, 48, 48, 16, 1, 0, -3, 5, -128, 127},  {1, 48, 48, 16, 1, 1, 127, -128, -128, 127},
    {2, 7, 5, 7, 0, 0, -128, 127, -20, 90},   {1, 3, 4, 5, 1, 1, 0, 0, -128, 127},
    {1, 1, 1, 3, 1, 0, 127, -128, -128, 127}, {1, 2, 9, 6, 0, 0, -128, 3, -128, 0},
};

tinyscale::kernel_test::Lcg g_rng(16u);
std::uint32_t next() { return g_rng.next(); }
std::int8_t next_s8() { return g_rng.next_s8(); }

using tinyscale::kernel_test::report_case;

// TFLite SAME padding: out = ceil(in / stride), the pad before the data half the total.
void same_padding(int in, int kernel, int stride, int& out, int& pad) {
  out = (in + stride - 1) / stride;
  const int total = (out - 1) * stride + kernel - in;
  pad = total > 0 ? total / 2 : 0;
}

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    int out_h, out_w, pad_top, pad_left;
    same_padding(c.in_h, c.kernel_h, c.stride, out_h, pad_top);
    same_padding(c.in_w, c.kernel_w, c.stride, out_w, pad_left);
    const int in_bytes = c.batches * c.in_h * c.in_w * c.channels;
    const int out_bytes = c.batches * out_h * out_w * c.channels;
    for (int i = 0; i < in_bytes; ++i) g_input[i] = next_s8();
    for (int i = 0; i < c.channels * c.kernel_h * c.kernel_w; ++i) g_weights[i] = next_s8();
    for (int i = 0; i < c.channels; ++i) {
      g_bias[i] = static_cast<std::int32_t>(next() % 20001u) - 10000;
      g_multipliers[i] = static_cast<std::int32_t>((1u << 30) + (next() & 0x3FFFFFFFu));
      g_shifts[i] = g_rng.next_shift(index < 3 || c.usual);  // the measured shapes: usual
      if (c.big && i % 2 == 0) g_bias[i] += (i % 4 == 0 ? 1 : -1) * ((1 << 30) - 1000);
      if (c.big && i % 5 == 0) g_multipliers[i] = 0;
    }
    for (int i = 0; i < 256; ++i) g_table[i] = next_s8();
    const Conv2dS8Params p = {c.batches,
                              c.in_h,
                              c.in_w,
                              c.channels,
                              out_h,
                              out_w,
                              c.channels,
                              c.kernel_h,
                              c.kernel_w,
                              c.stride,
                              c.stride,
                              1,
                              1,
                              pad_top,
                              pad_left,
                              1,
                              1,
                              -c.in_zp,
                              c.out_zp,
                              c.act_min,
                              c.act_max,
                              c.per_channel ? c.channels : 1,
                              g_multipliers,
                              g_shifts,
                              c.table ? g_table : nullptr};
    for (int i = 0; i < out_bytes; ++i) g_ref[i] = g_fast[i] = 0x55;
    tinyscale::device::conv2d_s8_fold_bias(p, g_weights, g_bias, g_folded);
    tinyscale::device::depthwise_s8_fast_reorder_weights(p, g_weights, g_reordered);

    ts_counter_start();
    tinyscale::device::conv2d_s8(p, g_input, g_weights, g_bias, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::depthwise_s8_fast(p, g_input, g_reordered, g_folded, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();

    int mismatches = 0;
    for (int i = 0; i < out_bytes; ++i) mismatches += g_ref[i] != g_fast[i] ? 1 : 0;
    failed |= mismatches != 0;
    report_case(index, "ref_instructions", ref);
    report_case(index, "fast_instructions", fast);
    report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches));
    report_case(index, "fast_path", tinyscale::device::depthwise_s8_fast_applies(p) ? 1u : 0u);
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));

  index = 0;
  for (const InPlaceCase& c : kInPlaceCases) {
    const int bytes = c.batches * c.in_h * c.in_w * c.channels;
    for (int i = 0; i < bytes; ++i) g_input[i] = next_s8();
    for (int i = 0; i < c.channels * 9; ++i) g_weights[i] = next_s8();
    for (int i = 0; i < c.channels; ++i) {
      g_bias[i] = static_cast<std::int32_t>(next() % 20001u) - 10000;
      g_multipliers[i] = static_cast<std::int32_t>((1u << 30) + (next() & 0x3FFFFFFFu));
      g_shifts[i] = g_rng.next_shift(index == 0);
    }
    for (int i = 0; i < 256; ++i) g_table[i] = next_s8();
    const Conv2dS8Params p = {c.batches,
                              c.in_h,
                              c.in_w,
                              c.channels,
                              c.in_h,
                              c.in_w,
                              c.channels,
                              3,
                              3,
                              1,
                              1,
                              1,
                              1,
                              1,
                              1,
                              1,
                              1,
                              -c.in_zp,
                              c.out_zp,
                              c.act_min,
                              c.act_max,
                              c.per_channel ? c.channels : 1,
                              g_multipliers,
                              g_shifts,
                              c.table ? g_table : nullptr};
    for (int i = 0; i < bytes; ++i) g_ref[i] = g_fast[i] = g_input[i];
    tinyscale::device::conv2d_s8_fold_bias(p, g_weights, g_bias, g_folded);

    ts_counter_start();
    tinyscale::device::conv2d_s8(p, g_ref, g_weights, g_bias, g_ref, g_scratch);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::depthwise_s8_fast_in_place(p, g_fast, g_weights, g_folded, g_scratch);
    const unsigned long long fast = ts_counter_instructions();

    int mismatches = 0;
    for (int i = 0; i < bytes; ++i) mismatches += g_ref[i] != g_fast[i] ? 1 : 0;
    failed |= mismatches != 0;
    report_case(index, "ref_instructions", ref, "ip");
    report_case(index, "fast_instructions", fast, "ip");
    report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches), "ip");
    report_case(index, "fast_path",
                tinyscale::device::depthwise_s8_fast_in_place_applies(p) ? 1u : 0u, "ip");
    ++index;
  }
  ts_report("in_place_cases", static_cast<unsigned long long>(index));
  return failed;
}
