// Test firmware (tests/deploy/fully_connected_fast_qemu_test.cpp): fully_connected_s8 and
// fully_connected_s8_fast on the same layers, on the device. Data come from a fixed LCG; for
// case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
//   caseI_fast_path=0|1 caseI_scratch_instructions=N caseI_scratch_mismatch_bytes=N
// (the scratch figures: the fast kernel given its optional scratch, where it takes one; else
// the same as without) and exits 0 (1 if any byte differs). Cases 0..3 are the MLPerf
// autoencoder's layer shapes (640->128, 128->128, 128->8, 128->640) with random shifts; the
// next ones small odd shapes; then shapes with TFLite's usual requantization (one right shift
// of 1..31, the whole int8 range: the kernel's short output stage, in assembly), among them
// step counts off the loop's multiple of 8 and biases whose sum with the accumulator doubles
// past int32 (the stage's out-of-line path).
#include <cstdint>

#include "engine/kernels/device/fully_connected.h"
#include "engine/kernels/device/fully_connected_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::FullyConnectedS8Params;

// shifts: 0 random in [-10, 1]; 1 one usual right shift in [-12, -5]. big_bias: every other
// row's bias near +-2^30.
struct Case {
  int batches, in_features, out_features, per_channel, in_zp, out_zp, act_min, act_max;
  int shifts = 0, big_bias = 0;
};

constexpr Case kCases[] = {
    {1, 640, 128, 0, -3, 5, -128, 127},       {1, 128, 128, 1, 7, -128, -128, 127},
    {1, 128, 8, 0, -128, -12, -128, 127},     {1, 128, 640, 0, 127, 3, 0, 127},
    {1, 13, 7, 1, -128, 127, -128, 127},      {3, 20, 5, 0, 127, 0, -20, 90},
    {1, 1, 1, 0, 0, 3, -128, 127},            {2, 36, 66, 1, 12, -7, -100, 100},
    {1, 640, 128, 0, 89, -128, -128, 127, 1}, {1, 128, 128, 0, -128, -128, -128, 127, 1},
    {1, 8, 128, 0, 5, 17, -128, 127, 1},      {1, 128, 640, 0, 0, 96, -128, 127, 1},
    {1, 36, 12, 0, 127, -3, -128, 127, 1},    {2, 44, 9, 0, -1, 127, -128, 127, 1},
    {1, 64, 16, 0, 0, 0, -128, 127, 1, 1},    {2, 32, 8, 0, -128, -128, -128, 127, 1, 1},
};

alignas(4) std::int8_t g_input[3 * 640];
alignas(4) std::int8_t g_scratch[2 * 640 + 4];
std::int8_t g_ref[3 * 640];
std::int8_t g_fast[3 * 640];
alignas(4) std::int8_t g_weights[640 * 128];
alignas(4) std::int8_t g_reordered[640 * 128];
std::int32_t g_bias[640];
std::int32_t g_folded[640];
std::int32_t g_multipliers[640];
std::int8_t g_shifts[640];

tinyscale::kernel_test::Lcg g_rng(16u);
std::uint32_t next() { return g_rng.next(); }
std::int8_t next_s8() { return g_rng.next_s8(); }

using tinyscale::kernel_test::report_case;

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const int in_bytes = c.batches * c.in_features;
    const int out_bytes = c.batches * c.out_features;
    for (int i = 0; i < in_bytes; ++i) g_input[i] = next_s8();
    for (int i = 0; i < c.out_features * c.in_features; ++i) {
      const std::int8_t w = next_s8();
      g_weights[i] = w == -128 ? static_cast<std::int8_t>(-127) : w;
    }
    for (int i = 0; i < c.out_features; ++i) {
      g_bias[i] = static_cast<std::int32_t>(next() % 20001u) - 10000;
      if (c.big_bias && i % 2 == 0) {
        g_bias[i] += (i % 4 == 0 ? 1 : -1) * ((1 << 30) - 1000);
      }
      g_multipliers[i] = static_cast<std::int32_t>((1u << 30) + (next() & 0x3FFFFFFFu));
      g_shifts[i] = static_cast<std::int8_t>(c.shifts ? -5 - static_cast<int>(next() % 8u)
                                                      : static_cast<int>(next() % 12u) - 10);
    }
    const FullyConnectedS8Params p = {c.batches,
                                      c.in_features,
                                      c.out_features,
                                      -c.in_zp,
                                      0,
                                      c.out_zp,
                                      c.act_min,
                                      c.act_max,
                                      c.per_channel ? c.out_features : 1,
                                      g_multipliers,
                                      g_shifts};
    for (int i = 0; i < out_bytes; ++i) g_ref[i] = g_fast[i] = 0x55;
    tinyscale::device::fully_connected_s8_fold_bias(p, g_weights, g_bias, g_folded);
    tinyscale::device::fully_connected_s8_fast_reorder_weights(p, g_weights, g_reordered);

    ts_counter_start();
    tinyscale::device::fully_connected_s8(p, g_input, g_weights, g_bias, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::fully_connected_s8_fast(p, g_input, g_reordered, g_folded, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();

    int mismatches = 0;
    for (int i = 0; i < out_bytes; ++i) mismatches += g_ref[i] != g_fast[i] ? 1 : 0;

    const bool with_scratch = tinyscale::device::fully_connected_s8_fast_optional_scratch_bytes(p) > 0;
    for (int i = 0; i < out_bytes; ++i) g_fast[i] = 0x55;
    ts_counter_start();
    tinyscale::device::fully_connected_s8_fast(p, g_input, g_reordered, g_folded, g_fast,
                                               with_scratch ? g_scratch : nullptr);
    const unsigned long long scratch_fast = ts_counter_instructions();
    int scratch_mismatches = 0;
    for (int i = 0; i < out_bytes; ++i) scratch_mismatches += g_ref[i] != g_fast[i] ? 1 : 0;
    failed |= mismatches != 0 || scratch_mismatches != 0;
    report_case(index, "ref_instructions", ref);
    report_case(index, "fast_instructions", fast);
    report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches));
    report_case(index, "scratch_instructions", scratch_fast);
    report_case(index, "scratch_mismatch_bytes",
                static_cast<unsigned long long>(scratch_mismatches));
    report_case(index, "fast_path",
                tinyscale::device::fully_connected_s8_fast_applies(p) ? 1u : 0u);
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
