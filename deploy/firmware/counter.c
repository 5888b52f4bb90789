/* counter.c - the SysTick instruction counter of firmware.h. */
#include <stdint.h>

#include "firmware.h"

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t*)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define CSR_ENABLE_TICKINT_CPUCLK 0x7u /* enable, interrupt on wrap, processor clock */

static volatile uint32_t ts_wraps;
static uint32_t ts_reload = 0xFFFFFFu;
static unsigned long long ts_start_ticks;

void SysTick_Handler(void) { ts_wraps = ts_wraps + 1u; }

/* Ticks since the counter was enabled. SysTick (as QEMU's ptimer models it, like the
 * hardware) counts R, R-1, ..., 1, 0 and raises its interrupt on reaching 0, so one
 * period is R+1 ticks and a reading of 0 belongs to the period whose wrap has already
 * been counted. A wrap whose interrupt is still pending is counted here. */
static unsigned long long raw_ticks(void) {
  uint32_t wraps, current, pending;
  do {
    wraps = ts_wraps;
    current = SYST_CVR;
    pending = SCB_ICSR & ICSR_PENDSTSET;
  } while (wraps != ts_wraps);
  if (pending != 0u) ++wraps;
  unsigned long long period = (unsigned long long)ts_reload + 1u;
  unsigned long long ticks = (unsigned long long)wraps * period + (ts_reload - current);
  return current == 0u ? ticks - period : ticks;
}

void ts_counter_start_with_reload(unsigned reload) {
  SYST_CSR = 0;
  ts_reload = reload & 0xFFFFFFu;
  if (ts_reload < 2u) ts_reload = 2u;
  SYST_RVR = ts_reload;
  SYST_CVR = 0; /* any write clears the counter; it loads RVR on the first tick */
  ts_wraps = 0;
  SYST_CSR = CSR_ENABLE_TICKINT_CPUCLK;
  while (SYST_CVR == 0u) {
  }
  ts_start_ticks = raw_ticks();
}

void ts_counter_start(void) { ts_counter_start_with_reload(0xFFFFFFu); }

unsigned long long ts_counter_ticks(void) { return raw_ticks() - ts_start_ticks; }

unsigned long long ts_counter_instructions(void) {
  return ts_counter_ticks() * TS_INSTRUCTIONS_PER_TICK;
}

unsigned ts_counter_wraps(void) { return ts_wraps; }
