// Test firmware (tests/deploy/lut_qemu_test.cpp): sigmoid_s8, tanh_s8 and hard_swish_s8
// against lut_s8 with the table the code generator would emit (the kernel run over the 256
// int8 inputs, as engine::activation_table_s8 does), on 1,000 pseudo-random values. For case
// I (0 sigmoid, 1 tanh, 2 hard-swish) it reports
//   TINYSCALE caseI_ref_instructions=N caseI_lut_instructions=N caseI_mismatch_bytes=N
// and exits 0 (1 if any byte differs).
#include <cstdint>

#include "engine/kernels/device/hard_swish.h"
#include "engine/kernels/device/lut.h"
#include "engine/kernels/device/sigmoid.h"
#include "engine/kernels/device/tanh.h"
#include "firmware.h"
#include "tests/deploy/firmware/kernel_test.h"

namespace {

constexpr int kSize = 1000;
std::int8_t g_input[kSize], g_ref[kSize], g_lut[kSize];
std::int8_t g_all[256];
alignas(4) std::int8_t g_table[256];

tinyscale::kernel_test::Lcg g_rng(16u);
std::int8_t next_s8() { return g_rng.next_s8(); }

using tinyscale::kernel_test::report_case;

// Fills the table with `kernel`, times it and lut_s8 on the input, reports case `index`.
template <typename Params, typename Kernel>
int run_case(int index, Params p, Kernel kernel) {
  p.size = 256;
  kernel(p, g_all, g_table, nullptr);
  p.size = kSize;
  ts_counter_start();
  kernel(p, g_input, g_ref, nullptr);
  const unsigned long long ref = ts_counter_instructions();
  const tinyscale::device::LutS8Params lut = {kSize, g_table};
  ts_counter_start();
  tinyscale::device::lut_s8(lut, g_input, g_lut, nullptr);
  const unsigned long long fast = ts_counter_instructions();
  int mismatches = 0;
  for (int i = 0; i < kSize; ++i) mismatches += g_ref[i] != g_lut[i] ? 1 : 0;
  report_case(index, "ref_instructions", ref);
  report_case(index, "lut_instructions", fast);
  report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches));
  return mismatches != 0;
}

}  // namespace

int main(void) {
  for (int i = 0; i < 256; ++i) g_all[i] = static_cast<std::int8_t>(i - 128);
  for (int i = 0; i < kSize; ++i) g_input[i] = next_s8();
  int failed = 0;
  failed |= run_case(0, tinyscale::device::SigmoidS8Params{0, -7, 90, 1518500250, 23},
                     tinyscale::device::sigmoid_s8);
  failed |= run_case(1, tinyscale::device::TanhS8Params{0, 3, 120, 1 << 30, 24},
                     tinyscale::device::tanh_s8);
  failed |= run_case(2, tinyscale::device::HardSwishS8Params{0, -128, 100, 16384, -6, 17476, 3},
                     tinyscale::device::hard_swish_s8);
  ts_report("cases", 3);
  return failed;
}
