#!/usr/bin/env bash
# The main job of ./run.sh, after set-up (run.sh installs and builds, then runs this): solve
# for the network that fills the default board (NUCLEO-H743ZI2, a 10-class PhiNet on 3x96x96
# input), rebuild the chosen network from the command the solver prints and report its exact
# cost, export it (ONNX + int8 TFLite, synthetic calibration) and run the .tflite in the engine,
# which checks that its arena fits the board's RAM region; then deploy it for the board's core
# (generated code, cross-built) and run it under QEMU, printing the measured FLASH, RAM and
# instructions beside the board's budgets and the solver's prediction (skipped, with a
# message, for a core QEMU has no machine for here).
# Environment: TINYSCALE_BOARD, TINYSCALE_INPUT pick the job; TINYSCALE_RUN_OUTPUT is the
# folder for the exported files (build/run_output).
set -euo pipefail
cd "$(dirname "$0")/.."

BOARD=${TINYSCALE_BOARD:-NUCLEO-H743ZI2}
INPUT=${TINYSCALE_INPUT:-3x96x96}
out=${TINYSCALE_RUN_OUTPUT:-build/run_output}
tinyscale=build/cli/tinyscale

echo "== tinyscale boards"
$tinyscale boards
echo
echo "== tinyscale solve --board $BOARD --input $INPUT --num-classes 10"
$tinyscale solve --board "$BOARD" --input "$INPUT" --num-classes 10
solve_json=$($tinyscale solve --board "$BOARD" --input "$INPUT" --num-classes 10 --json)
net_command=$(sed -n 's/^ *"command": "tinyscale \(.*\)",\{0,1\}$/\1/p' <<<"$solve_json")
echo
echo "== tinyscale $net_command"
# shellcheck disable=SC2086  # the solver's command is a list of options
$tinyscale $net_command | sed -n '/^  params /,$p'

mkdir -p "$out"
export_command=${net_command/#net /export }
echo
echo "== tinyscale $export_command --onnx $out/model.onnx --tflite $out/model.tflite"
# shellcheck disable=SC2086
$tinyscale $export_command --onnx "$out/model.onnx" --tflite "$out/model.tflite"
echo
echo "== tinyscale run $out/model.tflite --random 1 --board $BOARD   (untrained weights: the logits mean nothing)"
$tinyscale run "$out/model.tflite" --random 1 --board "$BOARD"
echo
echo "== tinyscale run $out/model.tflite --random 2   (another input, other logits)"
$tinyscale run "$out/model.tflite" --random 2 | sed -n 1p

# The cost model's prediction for the generated code (`net --runtime tinyscale`, top-level
# figures of its JSON), the solver's latency (the instruction model's) and the board's core.
# shellcheck disable=SC2086
generated_json=$($tinyscale $net_command --runtime tinyscale --board "$BOARD" --json)
predicted() { sed -n "s/^  \"$1\": \([^,]*\),\{0,1\}\$/\1/p" <<<"$generated_json" | head -n 1; }
latency() { sed -n "s/^  \"latency_ms\": \([^,]*\),\{0,1\}\$/\1/p" <<<"$solve_json" | head -n 1; }
grouped() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
core=$(awk '/"budgets": \{/ { b = 1 } b && /"core":/ { gsub(/.*"core": "|",?$/, ""); print; exit }' <<<"$solve_json")
echo
case "$core" in
  cortex-m7 | cortex-m4)
    echo "== tinyscale deploy $out/model.tflite --board $BOARD --qemu -o $out/deploy   (generated code for the $core, under QEMU)"
    rm -rf "$out/deploy"
    $tinyscale deploy "$out/model.tflite" --board "$BOARD" --qemu -o "$out/deploy" --name model |
      grep -v '^  files:'
    printf 'predicted for the generated code: FLASH %s B, RAM %s B, %s MACs, latency %.1f ms (the cost model: net --runtime tinyscale; the latency: its per-op instruction model, one instruction per cycle)\n' \
      "$(grouped "$(predicted flash_bytes)")" "$(grouped "$(predicted ram_bytes)")" \
      "$(grouped "$(predicted macs)")" "$(latency)"
    ;;
  *)
    echo "== no QEMU machine for ${core:-an unknown core} here (QEMU runs cortex-m7 and cortex-m4 firmware): skipping the deploy under QEMU"
    ;;
esac
