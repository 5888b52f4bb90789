#!/usr/bin/env bash
# Measures a device kernel's row of engine/deploy_size.cpp: each
# engine/kernels/device/NAME.cpp compiled alone with the package's flags, for the Cortex-M7
# and the Cortex-M4, prints
#   {"NAME", {code_m7, stack_m7}, {code_m4, stack_m4}},
# code: the object's .text* and .rodata* sections (arm-none-eabi-size -A) without the
# functions the generator calls on the host (*_scratch_bytes, *_applies, *_reorder_weights,
# *_fold_bias; --gc-sections drops them from a firmware); stack: -fstack-usage, the sum over
# the file's other functions (an upper bound of the deepest call chain).
#
#   scripts/measure_kernel_size.sh conv2d_fast depthwise_fast
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common="-std=c++20 -O2 -mthumb -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti -fno-threadsafe-statics -I."
for name in "$@"; do
  row="{\"$name\""
  for cpu in "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard" "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard"; do
    obj=$tmp/$name.o
    # shellcheck disable=SC2086
    arm-none-eabi-g++ $common $cpu -fstack-usage -c "engine/kernels/device/$name.cpp" -o "$obj"
    code=$(arm-none-eabi-size -A "$obj" | awk '$1 ~ /^\.(text|rodata)/ && $1 !~ /scratch_bytes|applies|reorder|fold_bias/ {s += $2} END {print s + 0}')
    stack=$(awk -F'\t' '$1 !~ /scratch_bytes|applies|reorder|fold_bias/ {s += $2} END {print s + 0}' "$tmp/$name.su")
    row="$row, {$code, $stack}"
  done
  echo "$row},"
done
