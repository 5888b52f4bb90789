/* startup.c - vector table, reset and fault handlers for QEMU mps2-an500 (Cortex-M7)
 * and mps2-an386 (Cortex-M4), and the stack painting of firmware.h. */
#include <stdint.h>

#include "firmware.h"
#include "semihost.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
extern void (*__preinit_array_start[])(void);
extern void (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);
void SysTick_Handler(void);

void Reset_Handler(void) __attribute__((naked, noreturn));
void ts_reset_c(void) __attribute__((noreturn, used));
void ts_fault_entry(void) __attribute__((naked));
void ts_fault_report(const uint32_t* frame) __attribute__((noreturn, used));

/* Naked: nothing may touch the stack or an FP register before the FPU is enabled and
 * the stack is painted. */
void Reset_Handler(void) {
  __asm__ volatile(
#if defined(__ARM_FP)
      /* CPACR: full access to CP10 and CP11 (the FPU) */
      "ldr r0, =0xE000ED88\n"
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n"
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
#endif
      "ldr r0, =_sstack\n"
      "mov r1, sp\n"
      "ldr r2, =0x5AC3A55A\n" /* TS_STACK_PAINT */
      "1:\n"
      "cmp r0, r1\n"
      "bhs 2f\n"
      "str r2, [r0], #4\n"
      "b 1b\n"
      "2:\n"
      "b ts_reset_c\n");
}

void ts_reset_c(void) {
  const uint32_t* from = &_sidata;
  for (uint32_t* to = &_sdata; to < &_edata;) *to++ = *from++;
  for (uint32_t* to = &_sbss; to < &_ebss;) *to++ = 0;
  for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (void (**f)(void) = __init_array_start; f < __init_array_end; ++f) (*f)();
  ts_sh_exit(main());
}

/* All faults and unexpected interrupts land here; IPSR names the exception and the
 * stacked frame (MSP or PSP, per EXC_RETURN bit 2) gives the faulting PC. */
void ts_fault_entry(void) {
  __asm__ volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "b ts_fault_report\n");
}

void ts_fault_report(const uint32_t* frame) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  ipsr &= 0x1FFu;
  static const char* const names[] = {"none",      "reset",    "NMI",      "HardFault",
                                      "MemManage", "BusFault", "UsageFault"};
  ts_sh_write0("TINYSCALE fault=");
  if (ipsr < sizeof names / sizeof names[0]) {
    ts_sh_write0(names[ipsr]);
  } else {
    ts_sh_write0("exception");
    ts_sh_write_u64(ipsr);
  }
  ts_sh_write0(" pc=");
  ts_sh_write_hex32(frame[6]);
  ts_sh_write0(" cfsr=");
  ts_sh_write_hex32(*(volatile uint32_t*)0xE000ED28u);
  ts_sh_write0(" hfsr=");
  ts_sh_write_hex32(*(volatile uint32_t*)0xE000ED2Cu);
  ts_sh_write0("\n");
  ts_sh_exit(3);
}

typedef void (*ts_vector)(void);
/* 16 system exceptions + the mps2 CMSDK's 32 external interrupts. */
__attribute__((section(".isr_vector"), used)) const ts_vector ts_vectors[16 + 32] = {
    (ts_vector)(&_estack), Reset_Handler,
    [2 ... 14] = ts_fault_entry,
    [15] = SysTick_Handler,
    [16 ... 47] = ts_fault_entry};
/* Reserved vector slots (7-10, 13) never fire; pointing them at the fault handler too
 * keeps the table simple. */

void ts_stack_paint(void) {
  uint32_t* sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (volatile uint32_t* word = &_sstack; word < sp; ++word) *word = TS_STACK_PAINT;
}

unsigned ts_stack_high_water_bytes(void) {
  const volatile uint32_t* word = &_sstack;
  while (word < &_estack && *word == TS_STACK_PAINT) ++word;
  return (unsigned)((uintptr_t)&_estack - (uintptr_t)word);
}

unsigned ts_stack_size_bytes(void) {
  return (unsigned)((uintptr_t)&_estack - (uintptr_t)&_sstack);
}

void ts_report(const char* key, unsigned long long value) {
  ts_sh_write0("TINYSCALE ");
  ts_sh_write0(key);
  ts_sh_write0("=");
  ts_sh_write_u64(value);
  ts_sh_write0("\n");
}

long ts_read_file(const char* path, void* buf, unsigned long capacity) {
  int handle = ts_sh_open(path, TS_SH_MODE_RB);
  if (handle < 0) return -1;
  long length = ts_sh_flen(handle);
  long result = -1;
  if (length >= 0 && (unsigned long)length <= capacity &&
      ts_sh_read(handle, buf, (unsigned)length) == 0u)
    result = length;
  ts_sh_close(handle);
  return result;
}

int ts_write_file(const char* path, const void* buf, unsigned long len) {
  int handle = ts_sh_open(path, TS_SH_MODE_WB);
  if (handle < 0) return -1;
  int result = ts_sh_write(handle, buf, (unsigned)len) == 0u ? 0 : -1;
  if (ts_sh_close(handle) != 0) result = -1;
  return result;
}
