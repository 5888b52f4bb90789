// Test firmware (tests/deploy/avg_pool_fast_qemu_test.cpp): avg_pool_s8 and avg_pool_s8_fast
// on the same pools, on the device. Data come from a fixed LCG (case 4: every value -128,
// case 5: every value 127, the 16-bit lanes' extremes). For case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs). Case 0 is the MLPerf DS-CNN's 25x5x64 pool.
#include <cstdint>

#include "engine/kernels/device/avg_pool.h"
#include "engine/kernels/device/avg_pool_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::AvgPoolS8Params;

struct Case {
  AvgPoolS8Params p;
  int fill;  // 0: random; else every input value is fill
};

// {batches, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w,
//  pad_top, pad_left}, act_min, act_max
const Case kCases[] = {
    {{{1, 25, 5, 64, 1, 1, 25, 5, 25, 5, 0, 0}, -128, 127}, 0},
    {{{1, 12, 12, 16, 6, 6, 3, 3, 2, 2, 1, 1}, -128, 127}, 0},
    {{{2, 7, 9, 8, 7, 9, 3, 5, 1, 1, 1, 2}, -20, 90}, 0},
    {{{1, 5, 6, 4, 2, 3, 4, 4, 3, 2, 2, 1}, -128, 0}, 0},
    {{{1, 16, 16, 4, 1, 1, 16, 16, 16, 16, 0, 0}, -128, 127}, -128},
    {{{1, 16, 16, 4, 1, 1, 16, 16, 16, 16, 0, 0}, -128, 127}, 127},
};

std::int8_t g_input[2 * 25 * 5 * 64];
std::int8_t g_ref[2 * 12 * 12 * 16];
std::int8_t g_fast[2 * 12 * 12 * 16];

tinyscale::kernel_test::Lcg g_rng(25u);

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const tinyscale::device::PoolGeometry& g = c.p.geometry;
    const int in_bytes = g.batches * g.in_h * g.in_w * g.channels;
    const int out_bytes = g.batches * g.out_h * g.out_w * g.channels;
    for (int i = 0; i < in_bytes; ++i) {
      g_input[i] = c.fill ? static_cast<std::int8_t>(c.fill) : g_rng.next_s8();
    }
    for (int i = 0; i < out_bytes; ++i) g_ref[i] = g_fast[i] = 0x55;
    ts_counter_start();
    tinyscale::device::avg_pool_s8(c.p, g_input, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::avg_pool_s8_fast(c.p, g_input, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();
    failed |= tinyscale::kernel_test::report_comparison(index, ref, fast, g_ref, g_fast,
                                                        out_bytes) != 0 ||
              !tinyscale::device::avg_pool_s8_fast_applies(c.p);
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
