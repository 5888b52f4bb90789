/* semihost.c - ARM semihosting calls (see semihost.h). */
#include "semihost.h"

enum {
  SYS_OPEN = 0x01,
  SYS_CLOSE = 0x02,
  SYS_WRITE0 = 0x04,
  SYS_WRITE = 0x05,
  SYS_READ = 0x06,
  SYS_FLEN = 0x0C,
  SYS_EXIT = 0x18,
  SYS_EXIT_EXTENDED = 0x20,
  ADP_STOPPED_APPLICATION_EXIT = 0x20026,
  ADP_STOPPED_RUNTIME_ERROR_UNKNOWN = 0x20023
};

static int sh_call(int op, void* arg) {
  register int r0 __asm__("r0") = op;
  register void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static unsigned text_length(const char* text) {
  unsigned n = 0;
  while (text[n] != '\0') ++n;
  return n;
}

int ts_sh_open(const char* path, int mode) {
  unsigned block[3] = {(unsigned)path, (unsigned)mode, text_length(path)};
  return sh_call(SYS_OPEN, block);
}

int ts_sh_close(int handle) {
  unsigned block[1] = {(unsigned)handle};
  return sh_call(SYS_CLOSE, block);
}

unsigned ts_sh_read(int handle, void* buf, unsigned len) {
  unsigned block[3] = {(unsigned)handle, (unsigned)buf, len};
  return (unsigned)sh_call(SYS_READ, block);
}

unsigned ts_sh_write(int handle, const void* buf, unsigned len) {
  unsigned block[3] = {(unsigned)handle, (unsigned)buf, len};
  return (unsigned)sh_call(SYS_WRITE, block);
}

long ts_sh_flen(int handle) {
  unsigned block[1] = {(unsigned)handle};
  return sh_call(SYS_FLEN, block);
}

void ts_sh_write0(const char* text) { sh_call(SYS_WRITE0, (void*)text); }

void ts_sh_exit(int code) {
  /* SYS_EXIT_EXTENDED takes {reason, exit code} on AArch32 too (QEMU 7.2 accepts it);
   * plain SYS_EXIT can only say success or failure, so it is the fallback. */
  volatile unsigned block[2] = {ADP_STOPPED_APPLICATION_EXIT, (unsigned)code};
  sh_call(SYS_EXIT_EXTENDED, (void*)block);
  sh_call(SYS_EXIT, (void*)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                      : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN));
  for (;;) {
  }
}

void ts_sh_write_u64(unsigned long long value) {
  char text[21];
  int at = 20;
  text[at] = '\0';
  do {
    text[--at] = (char)('0' + (int)(value % 10u));
    value /= 10u;
  } while (value != 0u);
  ts_sh_write0(text + at);
}

void ts_sh_write_hex32(unsigned value) {
  static const char digits[] = "0123456789abcdef";
  char text[11];
  text[0] = '0';
  text[1] = 'x';
  for (int i = 0; i < 8; ++i) text[2 + i] = digits[(value >> (28 - 4 * i)) & 0xFu];
  text[10] = '\0';
  ts_sh_write0(text);
}
