#!/usr/bin/env bash
# Issue 15's RAM figures: the activation peak of the benchmark networks (i) with the old plan
# (every op a fresh buffer, every layer whole: engine::plan_arena with in_place off, read by
# build/bench/patch_plan), (ii) today's in-place plan (`tinyscale info MODEL --json`,
# ram.activation_arena; patch_plan's in-place figure must equal it) and (iii) with patch-based
# execution on top (`--patch auto`, 20% extra MACs at most), for each runtime that runs
# patches:
#   --runtime tinyscale  the generated code: the choice with the smallest arena; its FLASH
#                        (const data, kernel and invoke code) with and without patches
#   --runtime engine     the host engine: the choice with the smallest total RAM (arena +
#                        kernel state + runtime structures, which grow with every node a
#                        patch repeats)
# Each network is the int8 .tflite `tinyscale export ... --tflite` writes (synthetic
# calibration; the MLPerf DS-CNN is ../shared's), costed as `info`/`run`/`deploy` cost it.
# Prints two Markdown tables. Needs a Release build (build/cli/tinyscale, build/bench/patch_plan).
#
#   bench/patch_bench.sh [OUTDIR]      # ~2 min on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${TINYSCALE_SHARED:-../shared}
tinyscale=${TINYSCALE_CLI:-build/cli/tinyscale}  # a copy keeps one build for a whole run
patch_plan=build/bench/patch_plan
out=${1:-build/patch_bench}
[ -x "$tinyscale" ] || { echo "needs $tinyscale (./run.sh or ./test.sh builds it)" >&2; exit 2; }
[ -x "$patch_plan" ] || { echo "needs $patch_plan (cmake --build build --target patch_plan)" >&2; exit 2; }
mkdir -p "$out"

names=()
labels=()
make_model() {  # NAME LABEL EXPORT-ARGS... : writes $out/NAME.tflite
  local name=$1 label=$2
  shift 2
  [ -f "$out/$name.tflite" ] || "$tinyscale" export "$@" -q --tflite "$out/$name.tflite" >/dev/null 2>&1
  names+=("$name")
  labels+=("$label")
}
make_model phinet_a025_96 "PhiNet α0.25, 96×96" phinet --input 3x96x96 --alpha 0.25
make_model phinet_a025_224 "PhiNet α0.25, 224×224" phinet --input 3x224x224 --alpha 0.25
make_model phinet_a05_96 "PhiNet α0.5, 96×96" phinet --input 3x96x96 --alpha 0.5
make_model phinet_a05_224 "PhiNet α0.5, 224×224" phinet --input 3x224x224 --alpha 0.5
make_model xinet_a05_96 "XiNet α0.5, 96×96" xinet --input 3x96x96 --alpha 0.5
make_model xinet_a05_224 "XiNet α0.5, 224×224" xinet --input 3x224x224 --alpha 0.5
make_model yolo_phinet_160 "YOLO-PhiNet 160×160" yolo-phinet --input 3x160x160
if [ -f "$shared/interop/tflite/kws_ref_model/model.tflite" ]; then
  cp "$shared/interop/tflite/kws_ref_model/model.tflite" "$out/mlperf_dscnn.tflite"
  names+=(mlperf_dscnn)
  labels+=("MLPerf DS-CNN")
else
  echo "(no $shared: the MLPerf DS-CNN is left out)" >&2
fi

# One row of figures per model: plain JSON lines, then the tables from them.
rows=$out/rows.jsonl
: >"$rows"
for i in "${!names[@]}"; do
  model=$out/${names[$i]}.tflite
  "$patch_plan" "$model" >"$out/${names[$i]}.plan.json"
  for rt in engine tinyscale; do
    "$tinyscale" info "$model" --runtime "$rt" --json >"$out/${names[$i]}.$rt.json"
    "$tinyscale" info "$model" --runtime "$rt" --patch auto --json >"$out/${names[$i]}.$rt.patch.json"
  done
  python3 - "$out" "${names[$i]}" "${labels[$i]}" >>"$rows" <<'EOF'
import json, sys
out, name, label = sys.argv[1:]
load = lambda suffix: json.load(open(f"{out}/{name}.{suffix}.json"))
plan, eng, engp, ts, tsp = (load(s) for s in ("plan", "engine", "engine.patch", "tinyscale", "tinyscale.patch"))
assert plan["in_place_bytes"] == eng["ram"]["activation_arena"] == ts["ram"]["activation_arena"], \
    f"{name}: patch_plan's in-place arena differs from info's"
def patch(j):
    p = j.get("patch", {})
    return {"choice": f'{p["layers"]},{p["grid"]}' if p.get("layers") else "off",
            "extra_pct": 100.0 * p.get("extra_macs", 0) / j["macs"]}
print(json.dumps({
    "label": label, "macs": eng["macs"],
    "old_bound": plan["old_bound_bytes"], "in_place": plan["in_place_bytes"],
    "ts_peak": tsp["ram"]["activation_arena"], "ts": patch(tsp),
    "ts_flash": ts["flash_bytes"], "ts_flash_patch": tsp["flash_bytes"],
    "ts_data": ts["tinyscale"]["model_data_bytes"], "ts_data_patch": tsp["tinyscale"]["model_data_bytes"],
    "ts_ram": ts["ram_bytes"], "ts_ram_patch": tsp["ram_bytes"],
    "eng_peak": engp["ram"]["activation_arena"], "eng": patch(engp),
    "eng_ram": eng["ram_bytes"], "eng_ram_patch": engp["ram_bytes"],
    "eng_state": eng["ram"]["kernel_state"] + eng["ram"]["runtime_structures"],
    "eng_state_patch": engp["ram"]["kernel_state"] + engp["ram"]["runtime_structures"],
}))
EOF
done

python3 - "$rows" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
g = lambda n: f"{n:,}"
x = lambda a, b: f"{a / b:.2f}×"
print("Activation peak (B); (c) = --patch auto, --runtime tinyscale (smallest arena within 20% extra MACs)\n")
print("| model | (a) old bound | (b) in place | (c) patched | k,n | extra MACs | (a)/(c) | (b)/(c) |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f'| {r["label"]} | {g(r["old_bound"])} | {g(r["in_place"])} | {g(r["ts_peak"])} | '
          f'{r["ts"]["choice"]} | {r["ts"]["extra_pct"]:.1f}% | {x(r["old_bound"], r["ts_peak"])} | '
          f'{x(r["in_place"], r["ts_peak"])} |')
print("\nWhat patches cost: generated code (--runtime tinyscale, cortex-m7) FLASH and RAM (arena + stack);"
      " host engine (--runtime engine) total RAM (arena + kernel state + runtime structures) with its"
      " own choice (smallest total)\n")
print("| model | FLASH off → patched (B) | model data off → patched | tinyscale RAM off → patched | "
      "engine k,n | engine extra MACs | engine arena patched | engine state off → patched | engine RAM off → patched |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f'| {r["label"]} | {g(r["ts_flash"])} → {g(r["ts_flash_patch"])} ({x(r["ts_flash_patch"], r["ts_flash"])}) | '
          f'{g(r["ts_data"])} → {g(r["ts_data_patch"])} | {g(r["ts_ram"])} → {g(r["ts_ram_patch"])} | '
          f'{r["eng"]["choice"]} | {r["eng"]["extra_pct"]:.1f}% | {g(r["eng_peak"])} | '
          f'{g(r["eng_state"])} → {g(r["eng_state_patch"])} | {g(r["eng_ram"])} → {g(r["eng_ram_patch"])} '
          f'({x(r["eng_ram"], r["eng_ram_patch"])} lower) |')
EOF
