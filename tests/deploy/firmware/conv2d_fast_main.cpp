// Test firmware (tests/deploy/conv2d_fast_qemu_test.cpp): conv2d_s8 and conv2d_s8_fast on
// the same pointwise convolutions, on the device. Data come from a fixed LCG; for case I
// it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
//   caseI_fast_path=0|1
// and exits 0 (1 if any byte differs). Cases 0..2 are the measured shapes (48x48x16->32,
// 12x12x64->64, DS-CNN's 25x5x64->64, with TFLite's usual right shifts); the next ones small odd
// shapes with shifts of both signs; the last three have usual shifts again (the short stage in
// assembly, quad_expanded_short): one through a fused activation's table, one with zero
// multipliers and biases near +-2^30 (its overflow path), one with an odd count of 4-channel
// input groups (the loop's entry at its second group).
#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/conv2d_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::Conv2dS8Params;

// usual: TFLite's usual right shifts (cases 0..2 too); big: every other channel's bias near
// +-2^30 and every fifth channel's multiplier 0.
struct Case {
  int batches, in_h, in_w, in_c, out_c, stride, per_channel, table, in_zp, out_zp, act_min, act_max;
  int usual = 0, big = 0;
};

constexpr Case kCases[] = {
    {1, 48, 48, 16, 32, 1, 1, 0, -3, 5, -128, 127},
    {1, 12, 12, 64, 64, 1, 1, 0, 7, -128, -128, 127},
    {1, 25, 5, 64, 64, 1, 1, 0, -128, -12, -128, 127},
    {1, 7, 3, 67, 33, 1, 1, 1, -128, 127, -128, 127},
    {1, 5, 5, 3, 1, 2, 0, 0, 127, 0, -20, 90},
    {1, 1, 1, 1, 1, 1, 0, 1, 0, 3, -128, 127},
    {1, 2, 9, 13, 66, 1, 0, 0, 12, -7, -100, 100},
    {1, 3, 3, 4, 5, 2, 1, 0, 127, -128, -128, 127},
    {2, 5, 10, 41, 7, 1, 1, 1, -50, 40, -128, 0},
    {1, 6, 4, 32, 20, 1, 1, 1, 5, -100, -128, 127, 1, 0},
    {1, 4, 6, 16, 12, 1, 1, 0, 0, 3, -128, 127, 1, 1},
    {1, 5, 3, 36, 8, 1, 1, 0, -9, 11, -128, 127, 1, 0},
};

std::int8_t g_input[2 * 48 * 48 * 16];
std::int8_t g_ref[48 * 48 * 32];
std::int8_t g_fast[48 * 48 * 32];
std::int8_t g_weights[67 * 67];
std::int8_t g_reordered[67 * 67];
std::int32_t g_bias[67];
std::int32_t g_folded[67];
std::int32_t g_multipliers[67];
std::int8_t g_shifts[67];
std::int8_t g_table[256];

tinyscale::kernel_test::Lcg g_rng(16u);
std::uint32_t next() { return g_rng.next(); }
std::int8_t next_s8() { return g_rng.next_s8(); }

using tinyscale::kernel_test::report_case;

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const int out_h = (c.in_h - 1) / c.stride + 1, out_w = (c.in_w - 1) / c.stride + 1;
    const int in_bytes = c.batches * c.in_h * c.in_w * c.in_c;
    const int out_bytes = c.batches * out_h * out_w * c.out_c;
    for (int i = 0; i < in_bytes; ++i) g_input[i] = next_s8();
    for (int i = 0; i < c.out_c * c.in_c; ++i) g_weights[i] = next_s8();
    for (int i = 0; i < c.out_c; ++i) {
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
                              c.in_c,
                              out_h,
                              out_w,
                              c.out_c,
                              1,
                              1,
                              c.stride,
                              c.stride,
                              1,
                              1,
                              0,
                              0,
                              c.in_c,
                              c.out_c,
                              -c.in_zp,
                              c.out_zp,
                              c.act_min,
                              c.act_max,
                              c.per_channel ? c.out_c : 1,
                              g_multipliers,
                              g_shifts,
                              c.table ? g_table : nullptr};
    for (int i = 0; i < out_bytes; ++i) g_ref[i] = g_fast[i] = 0x55;
    tinyscale::device::conv2d_s8_fold_bias(p, g_weights, g_bias, g_folded);
    tinyscale::device::conv2d_s8_fast_reorder_weights(p, g_weights, g_reordered);

    ts_counter_start();
    tinyscale::device::conv2d_s8(p, g_input, g_weights, g_bias, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::conv2d_s8_fast(p, g_input, g_reordered, g_folded, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();

    int mismatches = 0;
    for (int i = 0; i < out_bytes; ++i) mismatches += g_ref[i] != g_fast[i] ? 1 : 0;
    failed |= mismatches != 0;
    report_case(index, "ref_instructions", ref);
    report_case(index, "fast_instructions", fast);
    report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches));
    report_case(index, "fast_path", tinyscale::device::conv2d_s8_fast_applies(p) ? 1u : 0u);
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
