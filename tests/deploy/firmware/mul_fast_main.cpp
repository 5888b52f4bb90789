// Test firmware (tests/deploy/mul_fast_qemu_test.cpp): mul_s8 and mul_s8_fast on the same
// multiplies, on the device. Data come from a fixed LCG. For case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs). Case 0 is a KWS PhiNet squeeze-excite gate
// (25x5x48 by 48 values), case 1 an XiNet attention (12x12x32 by the same shape); then the
// gate as the first operand, odd channel counts, a narrow activation range, a shift outside
// the short stage, a general broadcast, and one in place.
#include <cstdint>

#include "engine/kernels/device/mul.h"
#include "engine/kernels/device/mul_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::MulS8Params;

struct Case {
  std::int32_t a[4], b[4];  // NHWC shapes of the operands
  std::int32_t input1_offset, input2_offset, output_offset, multiplier, shift, act_min, act_max;
  bool in_place;  // the output over input 1
};

const Case kCases[] = {
    {{1, 25, 5, 48}, {1, 1, 1, 48}, 3, 128, -9, 1246290968, -7, -128, 127, true},
    {{1, 12, 12, 32}, {1, 12, 12, 32}, -5, 128, 11, 1653957631, -8, -128, 127, false},
    {{1, 1, 1, 24}, {1, 6, 6, 24}, 128, 1, -128, 1073741824, -1, -128, 127, false},
    {{1, 7, 3, 37}, {1, 1, 1, 37}, -127, -128, 127, 2147483647, -23, -128, 127, false},
    {{2, 5, 5, 13}, {2, 5, 5, 13}, 0, 17, 3, 1500000000, -9, -20, 90, false},
    {{1, 9, 9, 16}, {1, 1, 1, 16}, 7, 128, -2, 1246290968, 1, -128, 127, false},
    {{1, 4, 6, 8}, {1, 4, 1, 8}, 10, -3, 0, 1300000000, -10, -128, 127, false},
    {{1, 10, 10, 30}, {1, 10, 10, 30}, 100, 128, 5, 1900000000, -8, -128, 127, true},
};

std::int8_t g_a[6000], g_b[6000], g_ref[6000], g_fast[6000];

tinyscale::kernel_test::Lcg g_rng(16u);

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const MulS8Params p = {tinyscale::device::broadcast_4d(c.a, c.b),
                           c.input1_offset,
                           c.input2_offset,
                           c.output_offset,
                           c.multiplier,
                           c.shift,
                           c.act_min,
                           c.act_max};
    const std::int32_t n = tinyscale::kernel_test::elements(p.shape.dims);
    for (std::int32_t i = 0; i < tinyscale::kernel_test::elements(c.a); ++i)
      g_a[i] = g_rng.next_s8();
    for (std::int32_t i = 0; i < tinyscale::kernel_test::elements(c.b); ++i)
      g_b[i] = g_rng.next_s8();
    for (std::int32_t i = 0; i < n; ++i) g_ref[i] = g_fast[i] = 0x55;
    ts_counter_start();
    tinyscale::device::mul_s8(p, g_a, g_b, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    std::int8_t* out = g_fast;
    if (c.in_place) {
      for (std::int32_t i = 0; i < n; ++i) g_fast[i] = g_a[i];
    }
    ts_counter_start();
    tinyscale::device::mul_s8_fast(p, c.in_place ? g_fast : g_a, g_b, out, nullptr);
    const unsigned long long fast = ts_counter_instructions();
    failed |= tinyscale::kernel_test::report_comparison(index, ref, fast, g_ref, g_fast, n) != 0;
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
