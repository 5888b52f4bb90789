#!/usr/bin/env bash
# What patch-based execution buys the solver: `tinyscale solve --board B --input 3xSxS --family F
# --runtime tinyscale --json` without and with `--patch auto` (20% extra MACs at most), for the
# NUCLEO-H743ZI2 (one region), STM32F746G-DISCO and Raspberry Pi Pico at 160×160 and 224×224,
# PhiNet and XiNet. Prints one Markdown table: the solved network's MACs, parameters, RAM
# (arena + stack) and FLASH (const data + code), the patch chosen, what binds, and the solve's
# own time (solve_ms). A solve that fails (no network fits) is a row with the error; each solve
# is cut at 300 s (`timeout 300`). Needs a Release build (build/cli/tinyscale).
#
#   bench/patch_solver_bench.sh [OUTDIR]      # ~2 min on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
tinyscale=${TINYSCALE_CLI:-build/cli/tinyscale}  # a copy keeps one build for a whole run
out=${1:-build/patch_solver_bench}
[ -x "$tinyscale" ] || { echo "needs $tinyscale (./run.sh or ./test.sh builds it)" >&2; exit 2; }
mkdir -p "$out"

rows=$out/rows.jsonl
: >"$rows"
for board in NUCLEO-H743ZI2 STM32F746G-DISCO "Raspberry Pi Pico"; do
  for size in 160 224; do
    for family in phinet xinet; do
      for patch in off auto; do
        file=$out/$(echo "$board" | tr ' ' _).$size.$family.$patch
        start=$(date +%s.%N)
        status=0
        timeout 300 "$tinyscale" solve --board "$board" --input "3x${size}x$size" \
          --family "$family" --runtime tinyscale --patch "$patch" --json \
          >"$file.json" 2>"$file.log" || status=$?
        end=$(date +%s.%N)
        python3 - "$file" "$board" "$size" "$family" "$patch" "$status" "$start" "$end" >>"$rows" <<'EOF'
import json, sys
file, board, size, family, patch, status, start, end = sys.argv[1:]
row = {"board": board, "size": int(size), "family": family, "patch": patch,
       "wall_s": float(end) - float(start)}
if status != "0":
    errors = [l.strip() for l in open(f"{file}.log") if "error" in l]
    row["failed"] = "timeout (300 s)" if status == "124" else (errors[-1] if errors else f"exit {status}")
else:
    j = json.load(open(f"{file}.json"))
    p = j.get("patch", {})
    row.update({"macs": j["macs"], "params": j["params"], "ram": j["ram_bytes"],
                "flash": j["flash_bytes"], "budget_ram": j["budgets"]["ram_bytes"],
                "budget_flash": j["budgets"]["flash_bytes"], "binding": j["binding"],
                "solve_ms": j["solve_ms"], "command": j["command"],
                "choice": f'{p["layers"]},{p["grid"]}' if p.get("layers") else "off",
                "extra_pct": 100.0 * p.get("extra_macs", 0) / j["macs"]})
print(json.dumps(row))
EOF
      done
    done
  done
done

python3 - "$rows" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
g = lambda n: f"{n:,}"
print("solve --runtime tinyscale, without and with --patch auto (MACs M, params k, RAM/FLASH B)\n")
print("| board | input | family | --patch | MACs | params | RAM / budget | FLASH / budget | k,n (extra MACs) | binds | solve |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    head = f'| {r["board"]} | {r["size"]}×{r["size"]} | {r["family"]} | {r["patch"]} |'
    if "failed" in r:
        print(f'{head} fails: {r["failed"]} | | | | | | {r["wall_s"]:.1f} s |')
        continue
    patch = f'{r["choice"]} ({r["extra_pct"]:.1f}%)' if r["choice"] != "off" else "—"
    print(f'{head} {r["macs"] / 1e6:.1f} | {r["params"] / 1e3:.0f} | {g(r["ram"])} / {g(r["budget_ram"])} | '
          f'{g(r["flash"])} / {g(r["budget_flash"])} | {patch} | {r["binding"]} | {r["solve_ms"] / 1e3:.2f} s |')
print("\nRatios (patch auto / off) of the solved network's MACs and params:\n")
key = lambda r: (r["board"], r["size"], r["family"])
off = {key(r): r for r in rows if r["patch"] == "off" and "failed" not in r}
for r in rows:
    o = off.get(key(r))
    if r["patch"] == "auto" and "failed" not in r and o:
        print(f'- {r["board"]} {r["size"]} {r["family"]}: MACs {r["macs"] / o["macs"]:.2f}×, '
              f'params {r["params"] / o["params"]:.2f}× ({r["command"]} --patch {r["choice"]})')
EOF
