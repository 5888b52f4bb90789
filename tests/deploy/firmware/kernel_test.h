// What the kernel test firmwares (tests/deploy/firmware/*_main.cpp, built by
// tests/deploy/firmware_build.h's kernel_firmware) share: a seeded LCG for their data and the
// per-case report line the host test parses.
//
//   tinyscale::kernel_test::Lcg rng(16);
//   weights[i] = rng.next_s8();
//   tinyscale::kernel_test::report_case(3, "fast_instructions", n);  // TINYSCALE case3_fast_...=n
//   failed |= tinyscale::kernel_test::report_comparison(3, ref, fast, g_ref, g_fast, n) != 0;
#pragma once

#include <cstdint>

#include "firmware.h"

namespace tinyscale::kernel_test {

// Numerical Recipes' 32-bit LCG; next() returns the top 24 bits.
struct Lcg {
  std::uint32_t state;
  explicit Lcg(std::uint32_t seed) : state(seed) {}
  std::uint32_t next() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  }
  std::int8_t next_s8() { return static_cast<std::int8_t>(next() & 0xFF); }
  // A requantization shift: with `usual`, TFLite's usual right shift of 1..10 (the fast
  // kernels' short output stage, dsp.h short_output); else -10..1, both signs.
  std::int8_t next_shift(bool usual) {
    return static_cast<std::int8_t>(usual ? -1 - static_cast<int>(next() % 10u)
                                          : static_cast<int>(next() % 12u) - 10);
  }
};

// Reports `TINYSCALE <prefix><index>_<what>=value` (index below 100).
inline void report_case(int index, const char* what, unsigned long long value,
                        const char* prefix = "case") {
  char key[40];
  int n = 0;
  for (const char* s = prefix; *s;) key[n++] = *s++;
  if (index >= 10) key[n++] = static_cast<char>('0' + index / 10);
  key[n++] = static_cast<char>('0' + index % 10);
  key[n++] = '_';
  for (const char* s = what; *s && n < 39;) key[n++] = *s++;
  key[n] = '\0';
  ts_report(key, value);
}

// Reports case `index`'s instructions (caseI_ref_instructions, caseI_fast_instructions) and
// the bytes in which the two outputs differ over `bytes` (caseI_mismatch_bytes); returns that
// count.
inline int report_comparison(int index, unsigned long long ref, unsigned long long fast,
                             const std::int8_t* ref_out, const std::int8_t* fast_out, int bytes) {
  int mismatches = 0;
  for (int i = 0; i < bytes; ++i) mismatches += ref_out[i] != fast_out[i] ? 1 : 0;
  report_case(index, "ref_instructions", ref);
  report_case(index, "fast_instructions", fast);
  report_case(index, "mismatch_bytes", static_cast<unsigned long long>(mismatches));
  return mismatches;
}

// Elements of an NHWC shape.
inline std::int32_t elements(const std::int32_t (&dims)[4]) {
  return dims[0] * dims[1] * dims[2] * dims[3];
}

}  // namespace tinyscale::kernel_test
