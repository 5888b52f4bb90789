// Test firmware (tests/deploy/conv2d_gemm_fast_qemu_test.cpp): conv2d_s8 and
// conv2d_s8_gemm_fast on the same full convolutions, on the device. Data come from a fixed
// LCG; the fast kernel gets the folded bias (conv2d_s8_fold_bias's formula), the reordered
// weights (conv2d_s8_gemm_fast_reorder_weights, outside the count) and no scratch.
// For case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs). Cases 0..6 are the measured shapes (DS-CNN's first
// convolution, XiNet a0.5 96's 7x7 stem and 3x3 layers, an RGB 3x3 stride-2 stem, a 3x3
// stride 2); the others are small odd shapes.
#include <cstdint>

#include "engine/kernels/device/conv2d.h"
#include "engine/kernels/device/conv2d_gemm_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::Conv2dS8Params;

// usual: TFLite's usual right shifts (the measured cases too); big: every other channel's bias
// near +-2^30 and every fifth channel's multiplier 0.
struct Case {
  int in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride, pad_top, pad_left, per_channel,
      table, in_zp, out_zp, act_min, act_max;
  int usual = 0, big = 0;
};

constexpr Case kCases[] = {
    {49, 10, 1, 25, 5, 64, 10, 4, 2, 4, 1, 1, 0, -128, -12, -128, 127},  // DS-CNN conv 1
    {96, 96, 3, 48, 48, 8, 7, 7, 2, 3, 3, 1, 0, -1, -128, -128, 127},    // XiNet conv 1
    {96, 96, 3, 48, 48, 8, 3, 3, 2, 0, 0, 1, 0, 3, -128, -128, 127},     // RGB 3x3 s2
    {24, 24, 4, 24, 24, 16, 3, 3, 1, 1, 1, 1, 0, 5, -128, -128, 127},    // XiNet 3x3, in_c 4
    {24, 24, 2, 24, 24, 16, 3, 3, 1, 1, 1, 1, 1, -128, 3, -128, 127},    // XiNet 3x3, in_c 2
    {6, 6, 32, 6, 6, 128, 3, 3, 1, 1, 1, 1, 0, 7, -128, -128, 127},      // XiNet 3x3, 32->128
    {24, 24, 32, 12, 12, 64, 3, 3, 2, 0, 0, 1, 1, -128, 3, -128, 127},   // 3x3 s2, 32->64
    {7, 5, 3, 7, 5, 5, 3, 3, 1, 1, 1, 0, 0, 127, 0, -20, 90},
    {6, 9, 13, 3, 5, 7, 2, 3, 2, 1, 2, 1, 1, -128, 127, -128, 127},
    {5, 5, 1, 5, 5, 1, 5, 5, 1, 2, 2, 0, 0, 12, -7, -100, 100},
    {4, 4, 8, 6, 6, 3, 1, 1, 1, 1, 1, 1, 0, 0, 3, -128, 0},
    // The quads (conv2d_s8_gemm_fast_takes_quads): a fused table; windows cut on every side
    // (in_c 1, 8 columns); 3x3 s2 cut at the bottom and right; zero multipliers and biases
    // near +-2^30 (the assembly stage's overflow path).
    {12, 14, 4, 12, 14, 12, 3, 3, 1, 1, 1, 1, 1, 9, -20, -128, 127, 1, 0},
    {19, 21, 1, 10, 9, 8, 3, 8, 2, 1, 3, 1, 0, -128, 5, -128, 127, 1, 0},
    {16, 16, 8, 8, 8, 32, 3, 3, 2, 0, 0, 1, 0, 127, -128, -128, 127, 1, 0},
    {10, 12, 4, 10, 12, 20, 3, 3, 1, 1, 1, 1, 0, 0, 3, -128, 127, 1, 1},
};
constexpr int kMeasured = 7;  // cases 0..6: the networks' shapes

std::int8_t g_input[96 * 96 * 3];
std::int8_t g_ref[48 * 48 * 8];
std::int8_t g_fast[48 * 48 * 8];
std::int8_t g_weights[128 * 9 * 32];
std::int8_t g_reordered[128 * 9 * 32];
std::int32_t g_bias[128];
std::int32_t g_folded[128];
std::int32_t g_multipliers[128];
std::int8_t g_shifts[128];
std::int8_t g_table[256];

tinyscale::kernel_test::Lcg g_rng(1616u);
std::uint32_t next() { return g_rng.next(); }
std::int8_t next_s8() { return g_rng.next_s8(); }

using tinyscale::kernel_test::report_case;

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const int out_h = c.out_h, out_w = c.out_w;
    const int k = c.k_h * c.k_w * c.in_c;
    const int out_bytes = out_h * out_w * c.out_c;
    for (int i = 0; i < c.in_h * c.in_w * c.in_c; ++i) g_input[i] = next_s8();
    for (int i = 0; i < c.out_c * k; ++i) g_weights[i] = next_s8();
    for (int i = 0; i < c.out_c; ++i) {
      g_bias[i] = static_cast<std::int32_t>(next() % 20001u) - 10000;
      g_multipliers[i] = static_cast<std::int32_t>((1u << 30) + (next() & 0x3FFFFFFFu));
      g_shifts[i] = g_rng.next_shift(index < kMeasured || c.usual);  // the measured shapes: usual
      if (c.big && i % 2 == 0) g_bias[i] += (i % 4 == 0 ? 1 : -1) * ((1 << 30) - 1000);
      if (c.big && i % 5 == 0) g_multipliers[i] = 0;
      std::uint32_t sum = 0;
      for (int j = 0; j < k; ++j) sum += static_cast<std::uint32_t>(g_weights[i * k + j]);
      g_folded[i] = static_cast<std::int32_t>(static_cast<std::uint32_t>(g_bias[i]) +
                                              static_cast<std::uint32_t>(-c.in_zp) * sum);
    }
    for (int i = 0; i < 256; ++i) g_table[i] = next_s8();
    const Conv2dS8Params p = {1,
                              c.in_h,
                              c.in_w,
                              c.in_c,
                              out_h,
                              out_w,
                              c.out_c,
                              c.k_h,
                              c.k_w,
                              c.stride,
                              c.stride,
                              1,
                              1,
                              c.pad_top,
                              c.pad_left,
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

    ts_counter_start();
    tinyscale::device::conv2d_s8(p, g_input, g_weights, g_bias, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    tinyscale::device::conv2d_s8_gemm_fast_reorder_weights(p, g_weights, g_reordered);
    ts_counter_start();
    tinyscale::device::conv2d_s8_gemm_fast(p, g_input, g_reordered, g_folded, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();

    int mismatches = 0;
    for (int i = 0; i < out_bytes; ++i) mismatches += g_ref[i] != g_fast[i] ? 1 : 0;
    failed |= mismatches != 0;
    if (!tinyscale::device::conv2d_s8_gemm_fast_applies(p)) failed = 1;
    report_case(index, "ref_instructions", ref);
    report_case(index, "fast_instructions", fast);
    report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches));
    report_case(index, "quads", tinyscale::device::conv2d_s8_gemm_fast_takes_quads(p) ? 1u : 0u);
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  ts_report("measured_cases", static_cast<unsigned long long>(kMeasured));
  return failed;
}
