// Test firmware (tests/deploy/conv2d_fast_mul_qemu_test.cpp): a multiply fused into a
// pointwise convolution (conv2d_s8_fast_{short,any}_mul) against mul_s8 in place then
// conv2d_s8, and against the two fast calls (mul_s8_fast then conv2d_s8_fast), on the same
// data, on the device. For case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_separate_instructions=N
//   caseI_fused_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs). Case 0: a PhiNet squeeze-excite gate before its
// projection (12x12x48 -> 16); case 1: an XiNet attention before a compression (12x12x32 ->
// 8); then odd channel counts (x written over first), a multiply outside the short stage, a
// convolution with a narrow activation range (the any stage), and a single pixel.
#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/conv2d_fast.h"
#include "engine/kernels/device/mul.h"
#include "engine/kernels/device/mul_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::Conv2dS8Params;
using tinyscale::device::MulS8Params;
using tinyscale::device::PointwiseMulS8Params;

struct Case {
  int h, w, in_c, out_c;
  bool attention;    // other: a map of x's shape; else one value per channel
  int mul_shift;     // the multiply's (-1..-23: the short stage)
  int mul_act_min;   // the multiply's activation range [mul_act_min, 127]
  int conv_act_min;  // the convolution's (-128 with usual shifts: its short stage)
};

constexpr Case kCases[] = {
    {12, 12, 48, 16, false, -7, -128, -128}, {12, 12, 32, 8, true, -8, -128, -128},
    {7, 5, 33, 6, false, -7, -128, -128},    {6, 6, 16, 8, true, 1, -128, -128},
    {6, 4, 24, 12, false, -9, -60, -20},     {1, 1, 8, 4, true, -6, -128, -128},
};

std::int8_t g_x[12 * 12 * 48], g_x2[12 * 12 * 48], g_x3[12 * 12 * 48];
std::int8_t g_other[12 * 12 * 48];
std::int8_t g_ref[12 * 12 * 16], g_separate[12 * 12 * 16], g_fused[12 * 12 * 16];
std::int8_t g_weights[48 * 16], g_reordered[48 * 16];
std::int32_t g_bias[16], g_folded[16], g_multipliers[16];
std::int8_t g_shifts[16];

tinyscale::kernel_test::Lcg g_rng(27u);

using tinyscale::kernel_test::report_case;

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const int pixels = c.h * c.w;
    const int in_bytes = pixels * c.in_c, out_bytes = pixels * c.out_c;
    const int other_bytes = c.attention ? in_bytes : c.in_c;
    for (int i = 0; i < in_bytes; ++i) g_x[i] = g_x2[i] = g_x3[i] = g_rng.next_s8();
    for (int i = 0; i < other_bytes; ++i) g_other[i] = g_rng.next_s8();
    for (int i = 0; i < c.out_c * c.in_c; ++i) g_weights[i] = g_rng.next_s8();
    for (int i = 0; i < c.out_c; ++i) {
      g_bias[i] = static_cast<std::int32_t>(g_rng.next() % 20001u) - 10000;
      g_multipliers[i] = static_cast<std::int32_t>((1u << 30) + (g_rng.next() & 0x3FFFFFFFu));
      g_shifts[i] = g_rng.next_shift(true);
    }
    const int product_zp = -5;  // the multiply's output, the convolution's input
    const MulS8Params m = {{{1, c.h, c.w, c.in_c},
                            {0, c.w * c.in_c, c.in_c, 1},
                            {0, c.attention ? c.w * c.in_c : 0, c.attention ? c.in_c : 0, 1}},
                           3,
                           128,
                           product_zp,
                           1246290968 + index * 1000,
                           c.mul_shift,
                           c.mul_act_min,
                           127};
    const Conv2dS8Params p = {1,
                              c.h,
                              c.w,
                              c.in_c,
                              c.h,
                              c.w,
                              c.out_c,
                              1,
                              1,
                              1,
                              1,
                              1,
                              1,
                              0,
                              0,
                              c.in_c,
                              c.out_c,
                              -product_zp,
                              11,
                              c.conv_act_min,
                              127,
                              c.out_c,
                              g_multipliers,
                              g_shifts,
                              nullptr};
    const PointwiseMulS8Params fused = {
        m.input1_offset,     m.input2_offset,          m.output_offset,
        m.output_multiplier, m.output_shift,           m.act_min,
        m.act_max,           c.attention ? c.in_c : 0, g_other};
    tinyscale::device::conv2d_s8_fold_bias(p, g_weights, g_bias, g_folded);
    tinyscale::device::conv2d_s8_fast_reorder_weights(p, g_weights, g_reordered);
    for (int i = 0; i < out_bytes; ++i) g_ref[i] = g_separate[i] = g_fused[i] = 0x55;

    ts_counter_start();
    tinyscale::device::mul_s8(m, g_x, g_other, g_x, nullptr);
    tinyscale::device::conv2d_s8(p, g_x, g_weights, g_bias, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::mul_s8_fast(m, g_x2, g_other, g_x2, nullptr);
    tinyscale::device::conv2d_s8_fast(p, g_x2, g_reordered, g_folded, g_separate, nullptr);
    const unsigned long long separate = ts_counter_instructions();
    ts_counter_start();
    if (tinyscale::device::dsp::short_output(p)) {
      tinyscale::device::conv2d_s8_fast_short_mul(p, fused, g_x3, g_reordered, g_folded, g_fused);
    } else {
      tinyscale::device::conv2d_s8_fast_any_mul(p, fused, g_x3, g_reordered, g_folded, g_fused);
    }
    const unsigned long long fused_count = ts_counter_instructions();

    int mismatches = 0;
    for (int i = 0; i < out_bytes; ++i) {
      mismatches += (g_ref[i] != g_fused[i] ? 1 : 0) + (g_ref[i] != g_separate[i] ? 1 : 0);
    }
    failed |= mismatches != 0 || !tinyscale::device::conv2d_s8_fast_mul_applies(p);
    report_case(index, "ref_instructions", ref);
    report_case(index, "separate_instructions", separate);
    report_case(index, "fused_instructions", fused_count);
    report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches));
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
