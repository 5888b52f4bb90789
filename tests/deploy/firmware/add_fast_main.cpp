// Test firmware (tests/deploy/add_fast_qemu_test.cpp): add_s8 and add_s8_fast on the same
// additions, on the device. Data come from a fixed LCG. For case I it reports
//   TINYSCALE caseI_ref_instructions=N caseI_fast_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs). Case 0 is a PhiNet residual (24x24x16 + the same
// shape, the scales' usual params), case 1 an XiNet skip; then a [.., C] operand in either
// order, odd lengths, a narrow activation range, a shift outside the fast path and in place.
#include <cstdint>

#include "engine/kernels/device/add.h"
#include "engine/kernels/device/add_fast.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

using tinyscale::device::AddS8Params;

struct Case {
  std::int32_t a[4], b[4];
  std::int32_t o1, o2, oy, m1, m2, my, s1, s2, sy, act_min, act_max;
  bool in_place;  // the output over input 1
};

const Case kCases[] = {
    {{1, 24, 24, 16},
     {1, 24, 24, 16},
     5,
     -3,
     2,
     1073741824,
     1518500250,
     1246290968,
     0,
     -1,
     -19,
     -128,
     127,
     true},
    {{1, 12, 12, 32},
     {1, 12, 12, 32},
     128,
     127,
     -128,
     1717986918,
     1073741824,
     2040109465,
     -2,
     0,
     -20,
     -128,
     127,
     false},
    {{1, 6, 6, 24},
     {1, 1, 1, 24},
     -7,
     9,
     0,
     1073741824,
     1300000000,
     1600000000,
     0,
     -5,
     -18,
     -128,
     127,
     false},
    {{1, 1, 1, 13},
     {1, 5, 3, 13},
     0,
     1,
     -5,
     2147483647,
     1073741824,
     1073741825,
     -31,
     0,
     -31,
     -128,
     127,
     false},
    {{2, 3, 7, 9},
     {2, 3, 7, 9},
     -128,
     128,
     127,
     1073741824,
     1073741824,
     1900000000,
     0,
     0,
     -17,
     -30,
     60,
     false},
    {{1, 4, 4, 8},
     {1, 4, 4, 8},
     3,
     4,
     1,
     1073741824,
     1200000000,
     1300000000,
     0,
     -3,
     1,
     -128,
     127,
     false},
    {{1, 9, 9, 20},
     {1, 9, 9, 20},
     10,
     -10,
     6,
     1073741824,
     1800000000,
     1400000000,
     0,
     -2,
     -21,
     -128,
     127,
     true},
};

std::int8_t g_a[9216], g_b[9216], g_ref[9216], g_fast[9216];

tinyscale::kernel_test::Lcg g_rng(20u);

}  // namespace

int main(void) {
  int failed = 0;
  int index = 0;
  for (const Case& c : kCases) {
    const AddS8Params p = {tinyscale::device::broadcast_4d(c.a, c.b),
                           c.o1,
                           c.o2,
                           c.oy,
                           c.m1,
                           c.m2,
                           c.my,
                           c.s1,
                           c.s2,
                           c.sy,
                           c.act_min,
                           c.act_max};
    const std::int32_t n = tinyscale::kernel_test::elements(p.shape.dims);
    for (std::int32_t i = 0; i < tinyscale::kernel_test::elements(c.a); ++i)
      g_a[i] = g_rng.next_s8();
    for (std::int32_t i = 0; i < tinyscale::kernel_test::elements(c.b); ++i)
      g_b[i] = g_rng.next_s8();
    for (std::int32_t i = 0; i < n; ++i) g_ref[i] = g_fast[i] = 0x55;
    ts_counter_start();
    tinyscale::device::add_s8(p, g_a, g_b, g_ref, nullptr);
    const unsigned long long ref = ts_counter_instructions();
    if (c.in_place) {
      for (std::int32_t i = 0; i < n; ++i) g_fast[i] = g_a[i];
    }
    ts_counter_start();
    tinyscale::device::add_s8_fast(p, c.in_place ? g_fast : g_a, g_b, g_fast, nullptr);
    const unsigned long long fast = ts_counter_instructions();
    failed |= tinyscale::kernel_test::report_comparison(index, ref, fast, g_ref, g_fast, n) != 0;
    ++index;
  }
  ts_report("cases", static_cast<unsigned long long>(index));
  return failed;
}
