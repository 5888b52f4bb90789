/* firmware.h - what tinyscale's Cortex-M firmware support offers a firmware's main():
 * an instruction counter, the stack high-water mark and the report line the host
 * runner (deploy/qemu_runner.h) parses. startup.c provides the vector table and the
 * reset handler (FPU on, stack painted, .data copied, .bss zeroed, constructors run,
 * main() called, its return value becomes QEMU's exit code); a fault prints
 *   TINYSCALE fault=HardFault pc=0x... cfsr=0x... hfsr=0x...
 * and exits with code 3.
 *
 *   int main(void) {
 *     ts_stack_paint();                     // measure from here on
 *     ts_counter_start();
 *     model_invoke();
 *     unsigned long long n = ts_counter_instructions();
 *     ts_report("instructions", n);         // "TINYSCALE instructions=N\n"
 *     ts_report("stack_bytes", ts_stack_high_water_bytes());
 *     return 0;
 *   }
 *
 * Instruction counting. Under `qemu-system-arm -icount shift=0` every guest instruction
 * advances QEMU's virtual clock by exactly 1 ns; mps2's SysTick, clocked from the 25 MHz
 * system clock (CLKSOURCE = processor clock), therefore decrements once per 40
 * instructions. ts_counter_instructions() = SysTick ticks since ts_counter_start() x 40,
 * exact to that granularity and identical from run to run. The 24-bit counter wraps
 * every 2^24 ticks (671 M instructions): a SysTick interrupt counts the wraps (its
 * handler's few instructions are counted too: ~1e-8 relative at the full reload).
 *
 * Verification (tests/deploy/qemu_runner_test.cpp, firmware
 * tests/deploy/firmware/test_main.c): a loop of `subs r0, r0, #1; bne 1b` (inline
 * assembly, so 2 instructions per iteration by construction; objdump shows the
 * function as `ldr r3, =N; subs r3, #1; bne; bx lr`) run 1,000,000 times
 * measures 2,000,000 instructions to within 40 + the counter's own read overhead on
 * both mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4); the same loop with a
 * 4096-tick reload (12 wraps) measures the same count plus the wrap handler's
 * instructions. Measured (QEMU 7.2, Debian 12): 2,000,040 on both cores, the empty
 * measurement 40 (call, loop set-up and counter reads fall in the first tick), i.e. the
 * loop itself to the tick; with 400,000,000 iterations (one wrap of the full 24-bit
 * reload) 800,000,040; with the 4096-tick reload and 4,882 wraps 800,024,440, i.e. 5
 * instructions per wrap handler. Runs repeat the same figures exactly. Without -icount
 * the figures are wall-clock time, not instructions.
 *
 * Stack. Reset paints the whole stack (from _sstack to the initial SP) with
 * TS_STACK_PAINT; ts_stack_high_water_bytes() scans up from _sstack for the first
 * overwritten word and returns the bytes between it and _estack. ts_stack_paint()
 * repaints everything below the caller's frame, so a later high-water mark covers only
 * what ran after it (plus the caller's frame).
 *
 * Self-contained C: the code generator copies this file into a firmware package. */
#ifndef TINYSCALE_FIRMWARE_H
#define TINYSCALE_FIRMWARE_H
#ifdef __cplusplus
extern "C" {
#endif

#define TS_INSTRUCTIONS_PER_TICK 40u       /* 25 MHz SysTick under -icount shift=0 */
#define TS_STACK_PAINT 0x5AC3A55Au

/* SysTick counter. The reload is 2^24 - 1 unless a test asks for less (to see wraps). */
void ts_counter_start(void);
void ts_counter_start_with_reload(unsigned reload);
unsigned long long ts_counter_ticks(void);        /* ticks since start */
unsigned long long ts_counter_instructions(void); /* ticks x TS_INSTRUCTIONS_PER_TICK */
unsigned ts_counter_wraps(void);                  /* interrupts taken since start */

/* Stack painting. */
void ts_stack_paint(void);
unsigned ts_stack_high_water_bytes(void);
unsigned ts_stack_size_bytes(void);

/* "TINYSCALE <key>=<value>\n" on the semihosting console. */
void ts_report(const char* key, unsigned long long value);

/* Semihosting file helpers: whole-file read into buf (returns the bytes read, or -1
 * if the file is missing or larger than capacity) and whole-buffer write (0 or -1). */
long ts_read_file(const char* path, void* buf, unsigned long capacity);
int ts_write_file(const char* path, const void* buf, unsigned long len);

#ifdef __cplusplus
}
#endif
#endif
