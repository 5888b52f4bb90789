#!/usr/bin/env bash
# test.sh's second pass: every library and unit test built with clang under AddressSanitizer
# and UndefinedBehaviorSanitizer in build-sanitize/ (no benches, no libFuzzer coverage
# instrumentation: the fuzz harnesses are built too, to replay their corpora), then the whole
# suite run there. Any sanitizer report fails the test that triggered it. The libraries are
# built at -O1, the test programs' own code at -O0: the hot paths are the libraries', and
# under ASan a test file took 22 s to compile at -O1, 10 s at -O0.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-sanitize -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
  -DTINYSCALE_SANITIZE=ON -DTINYSCALE_FUZZ_COVERAGE=OFF -DTINYSCALE_BUILD_BENCH=OFF \
  -DTINYSCALE_TEST_CXX_FLAGS=-O0
cmake --build build-sanitize -j2

# Leaks fail too (LeakSanitizer, on by default); a UB report aborts its process
# (-fno-sanitize-recover) with a stack trace. ASan records 5 frames of each allocation's stack
# instead of 30: the suite runs a third faster (the solver allocates a lot), a report still
# shows the faulting access's whole stack, and a finding is rerun by hand with the default.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:malloc_context_size=5}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir build-sanitize --output-on-failure -j2 "$@"
