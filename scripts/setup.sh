#!/usr/bin/env bash
# Shared set-up for ./run.sh and ./test.sh: install the Debian packages the build needs
# (only those missing), configure a Release build in build/, and build it with -j2.
set -euo pipefail

TINYSCALE_PACKAGES=(
  g++ cmake make
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev
  libnlopt-cxx-dev libeigen3-dev
  libflatbuffers-dev flatbuffers-compiler
  libonnx-dev libprotobuf-dev protobuf-compiler
  libsndfile1-dev libsamplerate0-dev libstb-dev
  espeak-ng sox
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
)
# Only ./test.sh needs these (its sanitizer build, scripts/sanitizer_tests.sh): it sets
# TINYSCALE_TEST_PACKAGES=1 before sourcing this file.
if [ "${TINYSCALE_TEST_PACKAGES:-0}" = 1 ]; then
  TINYSCALE_PACKAGES+=(clang libclang-rt-14-dev)
fi

install_missing_packages() {
  local missing=()
  for pkg in "${TINYSCALE_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  echo "tinyscale: installing missing packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build_release() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  cmake --build build -j2
}

install_missing_packages
build_release
