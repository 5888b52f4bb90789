#!/usr/bin/env bash
# Set up, build, and run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
ctest --test-dir build --output-on-failure -j2
