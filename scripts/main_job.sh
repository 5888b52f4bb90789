#!/usr/bin/env bash
# The main job of ./run.sh, after set-up (run.sh installs and builds, then runs this): solve
# for the network that fills the default board (NUCLEO-H743ZI2, a 10-class PhiNet on 3x96x96
# input), rebuild the chosen network from the command the solver prints and report its exact
# cost, export it (ONNX + int8 TFLite, synthetic calibration) and run the .tflite in the engine,
# which checks that its arena fits the board's RAM region.
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
net_command=$($tinyscale solve --board "$BOARD" --input "$INPUT" --num-classes 10 --json |
  sed -n 's/^ *"command": "tinyscale \(.*\)",\{0,1\}$/\1/p')
echo
echo "== tinyscale $net_command"
# shellcheck disable=SC2086  # the solver's command is a list of options
$tinyscale $net_command | tail -n 5

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
