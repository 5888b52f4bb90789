/* syscalls.c - the newlib system calls a firmware may pull in, and the C++ runtime
 * hooks, with no heap: a model's memory is its static arena, so _sbrk refuses. */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>

#include "semihost.h"

void* _sbrk(ptrdiff_t increment);
int _write(int fd, const char* buf, int len);
int _read(int fd, char* buf, int len);
int _close(int fd);
int _lseek(int fd, int offset, int whence);
int _fstat(int fd, struct stat* st);
int _isatty(int fd);
int _kill(int pid, int sig);
int _getpid(void);
void _exit(int code) __attribute__((noreturn));
void __cxa_pure_virtual(void);
void _init(void);
void _fini(void);

void* _sbrk(ptrdiff_t increment) {
  (void)increment;
  errno = ENOMEM;
  return (void*)-1;
}

/* stdout and stderr go to the semihosting console, in chunks (SYS_WRITE0 needs a NUL). */
int _write(int fd, const char* buf, int len) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  char chunk[65];
  int done = 0;
  while (done < len) {
    int n = len - done < 64 ? len - done : 64;
    for (int i = 0; i < n; ++i) chunk[i] = buf[done + i];
    chunk[n] = '\0';
    ts_sh_write0(chunk);
    done += n;
  }
  return len;
}

int _read(int fd, char* buf, int len) {
  (void)fd;
  (void)buf;
  (void)len;
  return 0;
}
int _close(int fd) {
  (void)fd;
  return -1;
}
int _lseek(int fd, int offset, int whence) {
  (void)fd;
  (void)offset;
  (void)whence;
  return 0;
}
int _fstat(int fd, struct stat* st) {
  (void)fd;
  st->st_mode = S_IFCHR;
  return 0;
}
int _isatty(int fd) { return fd >= 0 && fd <= 2; }
int _kill(int pid, int sig) {
  (void)pid;
  (void)sig;
  errno = EINVAL;
  return -1;
}
int _getpid(void) { return 1; }
void _exit(int code) { ts_sh_exit(code); }

void __cxa_pure_virtual(void) {
  ts_sh_write0("TINYSCALE fault=pure_virtual_call\n");
  ts_sh_exit(3);
}
void* __dso_handle = NULL;
__attribute__((weak)) void _init(void) {}
__attribute__((weak)) void _fini(void) {}
