#!/usr/bin/env bash
# Patch-based execution on the device: for each network of bench/patch_bench.sh (its .tflite
# files, written first by that script), `tinyscale deploy MODEL --target cortex-m7 --qemu --json`
# with --patch off and with --patch auto. deploy compares the device's output with the host
# engine's (patched) and, with patches, with the host engine computing whole layers; this script
# fails unless both are byte-identical (a deploy that cannot
# run, e.g. a firmware larger than the QEMU machine's FLASH, is a row saying why). Prints one Markdown table: instructions per inference
# (exact, QEMU -icount, 40-instruction steps) without and with patches (the cost of the halos
# and of the per-patch calls, slices and pastes), the extra MACs, the firmware's FLASH and RAM.
# First, on the host: `tinyscale run MODEL --random 1` with --patch auto and off, compared
# byte for byte (every model, also one too large for the QEMU machine).
# Each deploy holds the build lock (/tmp/tinyscale-build.lock, the shared tree's rule for
# builds and QEMU runs). Needs arm-none-eabi-g++ and qemu-system-arm.
#
#   bench/patch_bench.sh && bench/patch_qemu_bench.sh [MODELDIR [OUTDIR]]   # ~1.5 min
set -euo pipefail
cd "$(dirname "$0")/.."
tinyscale=${TINYSCALE_CLI:-build/cli/tinyscale}  # a copy keeps one build for a whole run
models=${1:-build/patch_bench}
out=${2:-build/patch_qemu_bench}
lock=${TINYSCALE_BUILD_LOCK:-/tmp/tinyscale-build.lock}
[ -x "$tinyscale" ] || { echo "needs $tinyscale (./run.sh or ./test.sh builds it)" >&2; exit 2; }
mkdir -p "$out"

rows=$out/rows.jsonl
: >"$rows"
for name in phinet_a025_96 phinet_a025_224 phinet_a05_96 phinet_a05_224 xinet_a05_96 \
  xinet_a05_224 yolo_phinet_160 yolo_phinet_160_a025 mlperf_dscnn; do
  model=$models/$name.tflite
  if [ "$name" = yolo_phinet_160_a025 ]; then  # a YOLO-PhiNet 160 whose firmware QEMU holds
    model=$out/$name.tflite
    [ -f "$model" ] || "$tinyscale" export yolo-phinet --input 3x160x160 --alpha 0.25 -q \
      --tflite "$model" >/dev/null 2>&1
  fi
  if [ ! -f "$model" ]; then
    echo "(no $model: run bench/patch_bench.sh first)" >&2
    continue
  fi
  # The host engine first (every model, also one too large for the QEMU machine): `run` with
  # --patch auto against --patch off on the same seeded input.
  for patch in off auto; do
    "$tinyscale" run "$model" --random 1 --patch "$patch" --output "$out/$name.host.$patch.bin" \
      >/dev/null
  done
  host=different
  cmp -s "$out/$name.host.off.bin" "$out/$name.host.auto.bin" && host=identical
  [ "$host" = identical ] || echo "$name: host engine output with --patch auto differs from --patch off" >&2
  failed=
  for patch in off auto; do
    flock "$lock" timeout 900 "$tinyscale" deploy "$model" --patch "$patch" --target cortex-m7 \
      --qemu --json -o "$out/$name.$patch" >"$out/$name.$patch.json" 2>"$out/$name.$patch.log" ||
      failed="--patch $patch: $(grep -o "region .FLASH. overflowed by [0-9]* bytes" "$out/$name.$patch.log" ||
        grep -o 'error: .*' "$out/$name.$patch.log" | tail -1)"
    [ -z "$failed" ] || break
  done
  if [ -n "$failed" ]; then  # e.g. a network larger than the QEMU machine's 4 MB of FLASH
    python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "host": sys.argv[2], "failed": sys.argv[3]}))' \
      "$name" "$host" "$failed" >>"$rows"
    continue
  fi
  python3 - "$out" "$name" "$host" >>"$rows" <<'EOF'
import json, sys
out, name, host = sys.argv[1:]
off, on = (json.load(open(f"{out}/{name}.{p}.json")) for p in ("off", "auto"))
assert off["byte_identical_to_host"] and on["byte_identical_to_host"], f"{name}: device != host engine"
patched = on.get("byte_identical_to_whole_layers") is not None
assert not patched or on["byte_identical_to_whole_layers"], f"{name}: patched != whole layers"
choice = "off"
for line in open(f"{out}/{name}.auto.log"):
    if "patches: the first" in line:  # "patches: the first 6 layers in 8x8 patches (...)"
        w = line.split()
        choice = f'{w[3]},{w[6].split("x")[0]}'
print(json.dumps({"name": name, "host": host, "choice": choice, "patched": patched,
                  "instr": off["instructions"]["per_inference"], "instr_patch": on["instructions"]["per_inference"],
                  "flash": off["flash"]["total_bytes"], "flash_patch": on["flash"]["total_bytes"],
                  "ram": off["ram"]["total_bytes"], "ram_patch": on["ram"]["total_bytes"],
                  "qemu_s": off["qemu_wall_seconds"] + on["qemu_wall_seconds"]}))
EOF
done

python3 - "$rows" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
g = lambda n: f"{n:,}"
print("Cortex-M7 (QEMU mps2-an500), --patch auto vs off; outputs byte-identical to the host engine,"
      " and patched = whole layers\n")
print("| model | host run auto = off | k,n | instructions off | patched | × | FLASH off → patched (B) | RAM off → patched (B) | device byte-identical to |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if "failed" in r:
        print(f'| {r["name"]} | {r["host"]} | | not run: {r["failed"]} | | | | | |')
        continue
    same = "host, whole layers" if r["patched"] else "host"
    print(f'| {r["name"]} | {r["host"]} | {r["choice"]} | {g(r["instr"])} | {g(r["instr_patch"])} | '
          f'{r["instr_patch"] / r["instr"]:.3f} | {g(r["flash"])} → {g(r["flash_patch"])} | '
          f'{g(r["ram"])} → {g(r["ram_patch"])} | {same} |')
EOF
