#!/usr/bin/env bash
# Set up, build, and run the whole test suite with ctest; then build it again with clang under
# AddressSanitizer and UndefinedBehaviorSanitizer (build-sanitize/, with the fuzz harnesses,
# which replay their corpora) and run it there too.
set -euo pipefail
cd "$(dirname "$0")"
TINYSCALE_TEST_PACKAGES=1
source scripts/setup.sh
ctest --test-dir build --output-on-failure -j2
scripts/sanitizer_tests.sh
