#!/usr/bin/env bash
# Issue 16's comparison: instructions per inference of tinyscale's generated code against
# TensorFlow Lite Micro with CMSIS-NN on the same .tflite and input, both under QEMU with exact
# instruction counts, on the Cortex-M7 (mps2-an500) and the Cortex-M4 (mps2-an386):
#   tinyscale  `tinyscale deploy MODEL --target cortex-mX --qemu --json --input IN`
#              (which also checks the device's output against the host engine's, byte for
#              byte, and prints the per-op instruction model's prediction)
#   TFLM       `../shared/tools/tflm/cm/measure.sh MODEL IN mX cmsis` (the prebuilt TFLite
#              Micro + CMSIS-NN of ../shared/tools; its output bytes are compared too)
# Models: the MLPerf Tiny DS-CNN and autoencoder (../shared/interop fixtures and inputs), and
# tinyscale's exports (`tinyscale export ... --tflite`, seeded random int8 input): PhiNet
# a0.25 96x96, XiNet a0.5 96x96, the KWS PhiNet (1x49x10) and a YOLO-PhiNet 160x160 at
# a0.25 (the default a2.3 is a 10.5 MB firmware, past the QEMU machine's 4 MB of FLASH).
# Prints one Markdown table. Each QEMU run holds the build lock (the shared tree's rule).
#
#   bench/dsp_bench.sh [OUTDIR]        # ~5 min on 2 cores (the TFLM firmwares are cached)
set -euo pipefail
cd "$(dirname "$0")/.."
tinyscale=${TINYSCALE_CLI:-build/cli/tinyscale}
shared=${TINYSCALE_SHARED:-../shared}
measure=$shared/tools/tflm/cm/measure.sh
out=${1:-build/dsp_bench}
lock=${TINYSCALE_BUILD_LOCK:-/tmp/tinyscale-build.lock}
[ -x "$tinyscale" ] || { echo "needs $tinyscale (./run.sh or ./test.sh builds it)" >&2; exit 2; }
[ -x "$measure" ] || { echo "needs $measure (../shared/tools)" >&2; exit 2; }
mkdir -p "$out"

t=$shared/interop/tflite
export_net() {  # name, input bytes, export arguments...: the .tflite and a seeded int8 input
  local name=$1 bytes=$2
  shift 2
  [ -f "$out/$name.tflite" ] || "$tinyscale" export "$@" -q --tflite "$out/$name.tflite" >/dev/null
  python3 -c 'import random, sys; random.seed(16); open(sys.argv[1], "wb").write(bytes(random.randrange(256) for _ in range(int(sys.argv[2]))))' \
    "$out/$name.in.bin" "$bytes"
}
export_net phinet_a025_96 27648 phinet --alpha 0.25 --input 3x96x96
export_net xinet_a05_96 27648 xinet --alpha 0.5 --input 3x96x96
export_net kws_phinet 490 phinet --alpha 0.25 --beta 0.75 --t0 6 --num-layers 7 --input 1x49x10 \
  --include-top --num-classes 12
export_net yolo_phinet_a025_160 76800 yolo-phinet --alpha 0.25 --input 3x160x160

# measure.sh, for a model whose output is too large for it: it hands QEMU's whole console
# (the output bytes in hex) to python3 as one argument, which the kernel refuses past 128 KiB
# (YOLO's 75,600-byte output). The same steps, the console on stdin.
tflm_measure() {  # model input core -> the JSON line measure.sh prints
  local model=$1 input=$2 core=$3 here elf
  here=$(dirname "$(readlink -f "$measure")")
  "$measure" "$model" "$input" "$core" cmsis 2>/dev/null && return 0
  elf=$out/tflm.$core.$(cat "$model" "$input" | sha256sum | cut -c1-16).elf
  [ -s "$elf" ] || "$here/build_fw.sh" "$model" "$input" "${core}_cmsis" "$elf" >&2
  "$here/run_elf.sh" "$elf" "$core" --mark tseval_mark --timeout 900 | python3 -c '
import json, re, sys
out = sys.stdin.read()
grab = lambda k: (re.search(r"^TSEVAL %s=(\S*)" % k, out, re.M) or [None, None])[1]
assert grab("status") == "ok", out[-2000:]
marks = [m["count"] for m in json.loads(re.search(r"^TSICOUNT (.*)$", out, re.M).group(1))["marks"]]
print(json.dumps({"instructions": marks[2] - 2 * marks[1] + marks[0],
                  "arena_used_bytes": int(grab("arena_used_bytes")), "output_hex": grab("output_hex")}))'
}

rows=$out/rows.jsonl
: >"$rows"
while read -r name model input; do
  for core in m7 m4; do
    flock "$lock" timeout 900 "$tinyscale" deploy "$model" --target "cortex-$core" --qemu --json \
      --input "$input" --output "$out/$name.$core.ts.bin" -o "$out/$name.$core" \
      >"$out/$name.$core.json" 2>"$out/$name.$core.log"
    flock "$lock" timeout 1800 bash -c "$(declare -f tflm_measure); measure=$measure out=$out \
      tflm_measure '$model' '$input' '$core'" >"$out/$name.$core.tflm.json" 2>"$out/$name.$core.tflm.log"
    python3 - "$name" "$core" "$out/$name.$core.json" "$out/$name.$core.tflm.json" \
      "$out/$name.$core.ts.bin" >>"$rows" <<'PY'
import json, sys
name, core, ts_path, tflm_path, ts_out = sys.argv[1:6]
ts = json.load(open(ts_path))
tflm = json.load(open(tflm_path))
same = open(ts_out, "rb").read().hex() == tflm["output_hex"]
print(json.dumps({"name": name, "core": core, "ts": ts["instructions"]["per_inference"],
                  "predicted": ts["instructions"]["predicted"], "tflm": tflm["instructions"],
                  "ts_arena": ts["ram"]["arena_bytes"], "tflm_arena": tflm["arena_used_bytes"],
                  "ts_flash": ts["flash"]["total_bytes"], "same_output": same}))
PY
  done
done <<EOF
mlperf_dscnn $t/kws_ref_model/model.tflite $t/kws_ref_model/input_sine.bin
mlperf_autoencoder $t/ad01_int8/model.tflite $t/ad01_int8/input_sine.bin
phinet_a025_96 $out/phinet_a025_96.tflite $out/phinet_a025_96.in.bin
xinet_a05_96 $out/xinet_a05_96.tflite $out/xinet_a05_96.in.bin
kws_phinet $out/kws_phinet.tflite $out/kws_phinet.in.bin
yolo_phinet_a025_160 $out/yolo_phinet_a025_160.tflite $out/yolo_phinet_a025_160.in.bin
EOF

python3 - "$rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| model | core | tinyscale | TFLM + CMSIS-NN | ratio | model's prediction | error | arena tinyscale / TFLM | output = TFLM's |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['name']} | {r['core']} | {r['ts']:,} | {r['tflm']:,} | {r['ts'] / r['tflm']:.2f}x "
          f"| {r['predicted']:,} | {100 * (r['predicted'] / r['ts'] - 1):+.1f}% "
          f"| {r['ts_arena']:,} / {r['tflm_arena']:,} | {'yes' if r['same_output'] else 'NO'} |")
PY
