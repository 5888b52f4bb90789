// Test firmware (tests/deploy/global_avg_pool_fast_qemu_test.cpp): global_avg_pool_s8 and
// global_avg_pool_s8_fast on the same maps, on the device. Data come from a fixed LCG (case 3:
// every value -128, case 4: 127, over 700 pixels: the lanes fold into int32 twice). For case I
// it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs). Case 0 is a PhiNet squeeze-excite pool (12x12x48),
// case 1 the KWS PhiNet's (13x3x33: a channel beyond a multiple of 4).
#include <cstdint>

#include "engine/kernels/device/global_avg_pool.h"
#include "engine/kernels/device/global_avg_pool_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::GlobalAvgPoolS8Params;

struct Case {
  GlobalAvgPoolS8Params p;
  int fill;  // 0: random; else every input value is fill
};

const Case kCases[] = {
    {{1, 12, 12, 48, -5, 7, 1908874354, -7}, 0},   {{1, 13, 3, 33, 3, -128, 1431655765, -5}, 0},
    {{2, 5, 7, 20, 127, -128, 1073741824, -4}, 0}, {{1, 700, 1, 8, -128, 0, 1073741824, -9}, -128},
    {{1, 28, 25, 8, 127, 5, 1073741824, -9}, 127},
};

std::int8_t g_input[12 * 12 * 48];
std::int8_t g_ref[64], g_fast[64];

tinyscale::kernel_test::Lcg g_rng(33u);

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const GlobalAvgPoolS8Params& p = c.p;
    const int in_bytes = p.batches * p.height * p.width * p.channels;
    const int out_bytes = p.batches * p.channels;
    for (int i = 0; i < in_bytes; ++i) {
      g_input[i] = c.fill ? static_cast<std::int8_t>(c.fill) : g_rng.next_s8();
    }
    for (int i = 0; i < out_bytes; ++i) g_ref[i] = g_fast[i] = 0x55;
    ts_counter_start();
    tinyscale::device::global_avg_pool_s8(p, g_input, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::global_avg_pool_s8_fast(p, g_input, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();
    failed |=
        tinyscale::kernel_test::report_comparison(index, ref, fast, g_ref, g_fast, out_bytes) != 0;
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
