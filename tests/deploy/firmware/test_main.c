/* test_main.c - firmware for tests/deploy/qemu_runner_test.cpp, one behaviour per
 * TS_TEST_MODE (compiled once per mode):
 *   1 known loop: `subs; bne` x KNOWN_LOOP_ITERATIONS (2 instructions each, inline asm
 *     so the count is fixed by construction), counted with the full reload and with a
 *     4096-tick reload (many wraps); also an empty measurement (the counter's overhead)
 *   2 round trip: input.bin -> output.bin byte for byte
 *   3 stack: high-water mark before and after a function with a 16 KiB local array
 *   4 HardFault: a read from an unmapped address
 *   5 infinite loop */
#include <stdint.h>

#include "firmware.h"
#include "semihost.h"

#define KNOWN_LOOP_ITERATIONS 1000000u

static void __attribute__((noinline, unused)) known_loop(uint32_t iterations) {
  __asm__ volatile(
      "1:\n"
      "subs %0, %0, #1\n"
      "bne 1b\n"
      : "+r"(iterations)
      :
      : "cc");
}

static int __attribute__((noinline, unused)) big_frame(int seed) {
  volatile uint8_t local[16384];
  for (unsigned i = 0; i < sizeof local; ++i) local[i] = (uint8_t)(seed + (int)i);
  int sum = 0;
  for (unsigned i = 0; i < sizeof local; i += 1024) sum += local[i];
  return sum;
}

static uint8_t buffer[65536] __attribute__((unused));

int main(void) {
#if TS_TEST_MODE == 1
  ts_counter_start();
  unsigned long long empty = ts_counter_instructions();
  ts_report("empty_instructions", empty);

  ts_counter_start();
  known_loop(KNOWN_LOOP_ITERATIONS);
  unsigned long long counted = ts_counter_instructions();
  ts_report("expected_instructions", 2ull * KNOWN_LOOP_ITERATIONS);
  ts_report("instructions", counted);

  ts_counter_start_with_reload(4095u);
  known_loop(KNOWN_LOOP_ITERATIONS);
  unsigned long long wrapped = ts_counter_instructions();
  ts_report("wrapped_instructions", wrapped);
  ts_report("wraps", ts_counter_wraps());
  return 0;
#elif TS_TEST_MODE == 2
  long n = ts_read_file("input.bin", buffer, sizeof buffer);
  if (n < 0) {
    ts_sh_write0("TINYSCALE error=input.bin missing or larger than 64 KiB\n");
    return 2;
  }
  ts_report("input_bytes", (unsigned long long)n);
  return ts_write_file("output.bin", buffer, (unsigned long)n) == 0 ? 0 : 2;
#elif TS_TEST_MODE == 3
  ts_stack_paint();
  ts_report("stack_before", ts_stack_high_water_bytes());
  ts_report("checksum", (unsigned long long)big_frame(7));
  ts_report("stack_bytes", ts_stack_high_water_bytes());
  ts_report("stack_size", ts_stack_size_bytes());
  return 0;
#elif TS_TEST_MODE == 4
  volatile uint32_t* unmapped = (volatile uint32_t*)0xF0000000u;
  ts_report("value", *unmapped);
  return 0;
#elif TS_TEST_MODE == 5
  for (;;) {
    __asm__ volatile("nop");
  }
#else
#error "TS_TEST_MODE must be 1..5"
#endif
}
