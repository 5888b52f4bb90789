// Test helper for tests/core/atomic_file_test.cpp: a process that writes a file through
// core::write_bytes_atomically when told to, so the test can signal it mid-write.
//
//   atomic_write_child TARGET BYTES
//     waits for one byte on file descriptor 3 (the test's "go"), then writes BYTES bytes to
//     TARGET atomically; exits 0 on success, 1 with the error on stderr otherwise.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "core/atomic_file.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: atomic_write_child TARGET BYTES\n");
    return 2;
  }
  char go = 0;
  if (::read(3, &go, 1) != 1) return 3;
  const std::vector<std::uint8_t> bytes(std::strtoull(argv[2], nullptr, 10), 'n');
  try {
    tinyscale::core::write_bytes_atomically(argv[1], bytes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
