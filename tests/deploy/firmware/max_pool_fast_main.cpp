// Test firmware (tests/deploy/max_pool_fast_qemu_test.cpp): max_pool_s8 and max_pool_s8_fast
// on the same pools, on the device. Data come from a fixed LCG. For case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs). Case 0 is an XiNet 2x2 pool (48x48x8 -> 24x24x8);
// then padding, odd channel counts, a narrow activation range and a 3x3 stride-2 window.
#include <cstdint>

#include "engine/kernels/device/max_pool.h"
#include "engine/kernels/device/max_pool_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::MaxPoolS8Params;

// {batches, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w,
//  pad_top, pad_left}, act_min, act_max
const MaxPoolS8Params kCases[] = {
    {{1, 48, 48, 8, 24, 24, 2, 2, 2, 2, 0, 0}, -128, 127},
    {{1, 12, 12, 16, 6, 6, 3, 3, 2, 2, 1, 1}, -128, 127},
    {{2, 7, 9, 13, 7, 9, 3, 3, 1, 1, 1, 1}, -20, 90},
    {{1, 6, 6, 6, 3, 3, 2, 2, 2, 2, 0, 0}, 0, 127},
};

std::int8_t g_input[48 * 48 * 8];
std::int8_t g_ref[24 * 24 * 8], g_fast[24 * 24 * 8];

tinyscale::kernel_test::Lcg g_rng(48u);

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const MaxPoolS8Params& p : kCases) {
    const tinyscale::device::PoolGeometry& g = p.geometry;
    const int in_bytes = g.batches * g.in_h * g.in_w * g.channels;
    const int out_bytes = g.batches * g.out_h * g.out_w * g.channels;
    for (int i = 0; i < in_bytes; ++i) g_input[i] = g_rng.next_s8();
    for (int i = 0; i < out_bytes; ++i) g_ref[i] = g_fast[i] = 0x55;
    ts_counter_start();
    tinyscale::device::max_pool_s8(p, g_input, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    ts_counter_start();
    tinyscale::device::max_pool_s8_fast(p, g_input, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();
    failed |=
        tinyscale::kernel_test::report_comparison(index, ref, fast, g_ref, g_fast, out_bytes) != 0;
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
