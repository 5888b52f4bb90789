/* semihost.h - ARM semihosting for Cortex-M firmware run under QEMU
 * (qemu-system-arm -semihosting-config enable=on,target=native).
 *
 * Every call is a `bkpt 0xab` with the operation in r0 and a pointer to its argument
 * block in r1 (ARM "Semihosting for AArch32 and AArch64", v3). With target=native QEMU
 * opens files relative to its own working directory, so firmware reads "input.bin" and
 * writes "output.bin" and the host runner (deploy/qemu_runner.h) places them.
 *
 *   int fh = ts_sh_open("input.bin", TS_SH_MODE_RB);
 *   long n = ts_sh_flen(fh);                  // -1 on error
 *   ts_sh_read(fh, buf, (unsigned)n);         // returns the bytes NOT read (0 = all)
 *   ts_sh_close(fh);
 *   ts_sh_write0("TINYSCALE instructions=123\n");
 *   ts_sh_exit(0);                            // QEMU exits with this code
 *
 * Self-contained C: the code generator copies this file into a firmware package. */
#ifndef TINYSCALE_SEMIHOST_H
#define TINYSCALE_SEMIHOST_H
#ifdef __cplusplus
extern "C" {
#endif

enum {
  TS_SH_MODE_RB = 1, /* fopen "rb" */
  TS_SH_MODE_WB = 5  /* fopen "wb" */
};

int ts_sh_open(const char* path, int mode);                /* handle, or -1 */
int ts_sh_close(int handle);                               /* 0, or -1 */
unsigned ts_sh_read(int handle, void* buf, unsigned len);  /* bytes NOT read */
unsigned ts_sh_write(int handle, const void* buf, unsigned len); /* bytes NOT written */
long ts_sh_flen(int handle);                               /* file length, or -1 */
void ts_sh_write0(const char* text);                       /* to QEMU's console (stderr) */
void ts_sh_exit(int code) __attribute__((noreturn));       /* ends QEMU with exit code `code` */

/* Console helpers without printf (keeps newlib's formatted I/O out of the image). */
void ts_sh_write_u64(unsigned long long value);            /* decimal */
void ts_sh_write_hex32(unsigned value);                    /* 0x%08x */

#ifdef __cplusplus
}
#endif
#endif
