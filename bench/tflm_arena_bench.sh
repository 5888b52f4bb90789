#!/usr/bin/env bash
# TensorFlow Lite Micro's arena, predicted against measured: for a spread of .tflite files (the
# MLPerf Tiny interop models and tinyscale's own exports of every family, with and without
# --float-io), `tinyscale info MODEL --json --kernels K` (the prediction, computed from the file's
# graph) beside the arena_used_bytes the prebuilt TensorFlow Lite Micro (../shared/tools/tflm,
# commit 90b983c2) reports under QEMU on a Cortex-M7 and a Cortex-M4, with reference and with
# CMSIS-NN kernels. Prints one row per model and the count of exact predictions; exits 1 on any
# difference. Needs ../shared and a Release build (build/cli/tinyscale).
#
#   bench/tflm_arena_bench.sh [OUTDIR]      # ~3 min on 2 cores (120 QEMU runs)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${TINYSCALE_SHARED:-../shared}
measure=$shared/tools/tflm/cm/measure.sh
tinyscale=build/cli/tinyscale
out=${1:-build/tflm_arena_bench}
[ -x "$measure" ] || { echo "needs $measure (../shared/tools)" >&2; exit 2; }
[ -x "$tinyscale" ] || { echo "needs $tinyscale (./run.sh or ./test.sh builds it)" >&2; exit 2; }
mkdir -p "$out"

models=()
add() { models+=("$1"); }
make_model() {  # NAME ARGS... : writes $out/NAME.tflite with `tinyscale ARGS`
  local name=$1
  shift
  if [ "$1" = clap-export ]; then
    "$tinyscale" "$@" -q -o "$out/$name.tflite" >/dev/null 2>&1
  else
    "$tinyscale" "$@" -q --tflite "$out/$name.tflite" >/dev/null 2>&1
  fi
  add "$name"
}

for d in ad01_int8 kws_ref_model; do
  cp "$shared/interop/tflite/$d/model.tflite" "$out/interop_$d.tflite"
  add "interop_$d"
done
make_model phinet_a025_32 export phinet --input 3x32x32 --alpha 0.25
make_model phinet_a025_32_top_fio export phinet --input 3x32x32 --alpha 0.25 --include-top --float-io
make_model phinet_g1_32_top_fio export phinet --input 1x32x32 --alpha 0.5 --include-top --num-classes 4 --float-io
make_model phinet_a05_b075_48_top export phinet --input 3x48x48 --alpha 0.5 --beta 0.75 --include-top
make_model phinet_relu_48 export phinet --input 3x48x48 --alpha 0.5 --no-squeeze-excite --no-h-swish
make_model phinet_a035_t4_n5_64_fio export phinet --input 3x64x64 --alpha 0.35 --t0 4 --num-layers 5 --float-io
make_model phinet_compat_64_top export phinet --input 3x64x64 --alpha 0.5 --compatibility --include-top
make_model phinet_pool_64_top_fio export phinet --input 3x64x64 --alpha 0.5 --pool --include-top --float-io
make_model phinet_conv2d_nores_64 export phinet --input 3x64x64 --alpha 0.5 --conv2d-input --no-residuals
make_model phinet_div8_64_top export phinet --input 3x64x64 --alpha 0.75 --beta 1.5 --t0 3 --divisor 8 --include-top
make_model phinet_conv5_80_top export phinet --input 3x80x80 --alpha 0.25 --conv5-percent 0.5 --include-top
make_model phinet_a025_96_top export phinet --input 3x96x96 --alpha 0.25 --beta 0.75 --include-top
make_model phinet_n9_96_fio export phinet --input 3x96x96 --alpha 0.25 --num-layers 9 --float-io
make_model phinet_a1_96_top_fio export phinet --input 3x96x96 --alpha 1 --t0 5 --include-top --float-io
make_model phinet_a05_128_top export phinet --input 3x128x128 --alpha 0.5 --include-top
make_model kws_phinet_49x10_fio export phinet --input 1x49x10 --alpha 0.5 --num-layers 5 --include-top --num-classes 12 --float-io
make_model xinet_a05_32_top export xinet --input 3x32x32 --alpha 0.5 --include-top --num-classes 10
make_model xinet_a025_64 export xinet --input 3x64x64 --alpha 0.25
make_model xinet_g2_n4_48_fio export xinet --input 3x48x48 --alpha 1 --gamma 2 --num-layers 4 --float-io
make_model xinet_n6_64_top export xinet --input 3x64x64 --alpha 0.75 --num-layers 6 --include-top --num-classes 10
make_model xinet_a05_96_top_fio export xinet --input 3x96x96 --alpha 0.5 --include-top --num-classes 10 --float-io
make_model xinet_a035_128_top export xinet --input 3x128x128 --alpha 0.35 --include-top --num-classes 10
make_model yolo_phinet_64_c3 export yolo-phinet --input 3x64x64 --alpha 0.25 --classes 3
make_model yolo_phinet_96_c2_fio export yolo-phinet --input 3x96x96 --alpha 0.25 --classes 2 --float-io
make_model yolo_phinet_xiconv_64 export yolo-phinet --input 3x64x64 --alpha 0.25 --classes 2 --neck xiconv --depth-multiple 0.34
make_model yolo_xinet_64_c2_fio export yolo-xinet --input 3x64x64 --alpha 0.25 --classes 2 --float-io
make_model clap_f101_e64 clap-export --alpha 0.25 --embedding 64 --shared 32 --frames 101
make_model clap_n5_f200_e128 clap-export --alpha 0.5 --num-layers 5 --embedding 128 --shared 64 --frames 200
make_model clap_e64 clap-export --alpha 0.25 --embedding 64 --shared 32

predicted() {  # MODEL KERNELS -> the predicted arena_used_bytes
  "$tinyscale" info "$1" --json --kernels "$2" |
    python3 -c 'import json,sys; j=json.load(sys.stdin); t=j["tflite_micro"]; print(t["arena_used_bytes"] if t["exact"] else -1)'
}
measured() {  # MODEL INPUT CPU KERNELS -> arena_used_bytes from TFLite Micro under QEMU
  "$measure" "$1" "$2" "$3" "$4" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["arena_used_bytes"])'
}

printf '%-26s %10s %10s %10s %10s   %s\n' model ref_pred ref_M7/M4 cmsis_pred cmsis_M7/M4 result
total=0
exact=0
for name in "${models[@]}"; do
  model=$out/$name.tflite
  input=$out/$name.input.bin
  bytes=$("$tinyscale" info "$model" --json |
    python3 -c 'import json,sys; print(sum(i["bytes"] for i in json.load(sys.stdin)["inputs"]))')
  head -c "$bytes" /dev/zero >"$input"
  row=$(printf '%-26s' "$name")
  ok=1
  for k in reference cmsis-nn; do
    tool=ref
    [ "$k" = cmsis-nn ] && tool=cmsis
    p=$(predicted "$model" "$k")
    m7=$(measured "$model" "$input" m7 "$tool")
    m4=$(measured "$model" "$input" m4 "$tool")
    for m in "$m7" "$m4"; do
      total=$((total + 1))
      if [ "$p" = "$m" ]; then exact=$((exact + 1)); else ok=0; fi
    done
    if [ "$m7" = "$m4" ]; then measured_text=$m7; else measured_text="$m7/$m4"; fi
    row+=$(printf ' %10s %10s' "$p" "$measured_text")
  done
  if [ $ok = 1 ]; then row+="   exact"; else row+="   DIFFERS"; fi
  echo "$row"
done
echo
echo "$exact of $total predictions exact (${#models[@]} models x {reference, CMSIS-NN} x {Cortex-M7, Cortex-M4})"
[ "$exact" = "$total" ]
