#!/usr/bin/env bash
# Measures a device kernel's row of engine/deploy_size.cpp: each
# engine/kernels/device/NAME.cpp compiled alone with the package's flags, for the Cortex-M7
# and the Cortex-M4, prints
#   {"NAME", {code_m7, stack_m7}, {code_m4, stack_m4}},
# code: the object's .text* and .rodata* sections (arm-none-eabi-size -A) without the
# functions the generator calls on the host (*_scratch_bytes, *_applies, *_reorder_weights,
# *_fold_bias; --gc-sections drops them from a firmware); stack: the deepest call chain
# through the file's other functions, from GCC's call graph with each function's frame
# (-fcallgraph-info=su). A naked assembly function (GCC reports 0 bytes: it does not see the
# pushes) counts 48, at least its pushes of 11 registers, and a function outside the file
# (memcpy, a libgcc helper) 32: an upper bound still, now per chain instead of the sum of
# every function.
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
    arm-none-eabi-g++ $common $cpu -fstack-usage -fcallgraph-info=su \
      -c "engine/kernels/device/$name.cpp" -o "$obj"
    code=$(arm-none-eabi-size -A "$obj" | awk '$1 ~ /^\.(text|rodata)/ && $1 !~ /scratch_bytes|applies|reorder|fold_bias/ {s += $2} END {print s + 0}')
    stack=$(python3 - "$tmp/$name.ci" engine/kernels/device/*.h engine/kernels/device/*.cpp <<'PY'
import re, sys
naked = set()
for source in sys.argv[2:]:
    naked.update(re.findall(r"naked[^(]*?(\w+)\(", open(source).read()))
nodes, edges = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'node: \{ title: "([^"]*)"(?: label: "([^"]*)")?', line)
    if m:
        label = m.group(2) or ""
        b = re.search(r'\\n(\d+) bytes \((?:static|dynamic)', label)
        function = re.search(r"(\w+)\(", label)
        if not b:
            nodes[m.group(1)] = 32
        elif function and function.group(1) in naked:
            nodes[m.group(1)] = max(int(b.group(1)), 48)
        else:
            nodes[m.group(1)] = int(b.group(1))
        continue
    m = re.match(r'edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"', line)
    if m:
        edges.setdefault(m.group(1), []).append(m.group(2))
depth = {}
def deepest(f, path=()):
    if f in path:
        sys.exit("recursion through " + f)
    if f not in depth:
        depth[f] = nodes.get(f, 32) + max([deepest(g, path + (f,)) for g in edges.get(f, [])], default=0)
    return depth[f]
skip = re.compile(r"scratch_bytes|applies|reorder|fold_bias")
print(max([deepest(f) for f in nodes if not skip.search(f)], default=0))
PY
)
    row="$row, {$code, $stack}"
  done
  echo "$row},"
done
