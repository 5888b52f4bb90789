#!/usr/bin/env bash
# Regenerates the generated seeds of fuzz/corpus/ (the reproducers of findings and the files
# copied from data/ and ../shared/interop are kept as they are):
#   fuzz_tflite, fuzz_onnx   tiny PhiNet/XiNet exports of `tinyscale export`
#   fuzz_wav                 short clips in the formats libsndfile reads (sox)
#   fuzz_image               tiny PNG/JPEG/BMP images (stb_image_write, compiled here)
#   fuzz_boards, fuzz_clap_*  small JSON / metadata files
# Usage: fuzz/make_corpus.sh [path/to/tinyscale]   (default: build/cli/tinyscale)
set -euo pipefail
cd "$(dirname "$0")/.."
tinyscale=${1:-build/cli/tinyscale}
corpus=fuzz/corpus
shared=../shared/interop
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p $corpus/{fuzz_tflite,fuzz_onnx,fuzz_wav,fuzz_image,fuzz_boards,fuzz_clap_classes,fuzz_clap_meta}

# --- models: the smallest networks each exporter path writes (int8, float I/O, SE, h-swish,
# residuals, classifier head, folded and unfolded BatchNorm).
export_seed() {  # name, then `tinyscale export` arguments
  local name=$1; shift
  "$tinyscale" export "$@" --calib-samples 2 -q --onnx "$scratch/$name.onnx" \
    --tflite "$scratch/$name.tflite" 2>/dev/null >/dev/null
  cp "$scratch/$name.tflite" $corpus/fuzz_tflite/export_$name.tflite
  cp "$scratch/$name.onnx" $corpus/fuzz_onnx/export_$name.onnx
}
export_seed phinet_plain phinet --input 1x8x8 --alpha 0.1 --num-layers 3 --compatibility \
  --no-residuals --no-squeeze-excite
export_seed phinet_compat phinet --input 3x8x8 --alpha 0.1 --num-layers 3 --compatibility \
  --no-residuals --fold-bn
export_seed phinet_top phinet --input 1x16x16 --alpha 0.2 --num-layers 3 --include-top \
  --num-classes 4
export_seed xinet_float_io xinet --input 3x16x16 --alpha 0.25 --num-layers 3 --float-io
if [ -d "$shared" ]; then
  cp $shared/tflite/kws_ref_model/model.tflite $corpus/fuzz_tflite/interop_kws_ref_model.tflite
  cp $shared/onnx/phinet_kws/model_op13_torchfold.onnx \
    $corpus/fuzz_onnx/interop_phinet_kws_op13_torchfold.onnx
  cp $shared/onnx/phinet_a/model_op11.onnx $corpus/fuzz_onnx/interop_phinet_a_op11.onnx
  cp $shared/audio/yes_1000ms.wav $corpus/fuzz_wav/interop_yes_1000ms.wav
fi

# --- audio: 40 ms of a tone in every format and encoding libsndfile reads that sox writes.
sox -n -r 16000 -c 1 -b 16 "$scratch/tone.wav" synth 0.04 sine 440 gain -3
audio_seed() {  # output name, then sox output options
  local name=$1; shift
  sox "$scratch/tone.wav" "$@" "$corpus/fuzz_wav/$name"
}
audio_seed pcm16_16k.wav -b 16
audio_seed pcm8_8k.wav -r 8000 -b 8 -e unsigned-integer
audio_seed pcm24_44k_stereo.wav -r 44100 -c 2 -b 24
audio_seed float32_22k.wav -r 22050 -e floating-point -b 32
audio_seed float64_16k.wav -e floating-point -b 64
audio_seed ulaw_8k.wav -r 8000 -e u-law
audio_seed alaw_8k.wav -r 8000 -e a-law
audio_seed ima_adpcm_8k.wav -r 8000 -e ima-adpcm
audio_seed ms_adpcm_8k.wav -r 8000 -e ms-adpcm
audio_seed gsm_8k.wav -r 8000 -e gsm-full-rate
audio_seed tone.aiff
audio_seed tone.au
audio_seed tone.flac
audio_seed tone.w64
audio_seed tone.caf
audio_seed tone.ogg -r 16000

# --- images: 3x2 .. 5x4 pictures in every flavour stb_image decodes here.
cat > "$scratch/images.c" <<'C'
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
int main(void) {
  unsigned char rgba[5 * 4 * 4];
  for (int i = 0; i < (int)sizeof rgba; ++i) rgba[i] = (unsigned char)(i * 37 + 11);
  stbi_write_png("gray.png", 4, 3, 1, rgba, 4);
  stbi_write_png("gray_alpha.png", 3, 2, 2, rgba, 6);
  stbi_write_png("rgb.png", 5, 4, 3, rgba, 15);
  stbi_write_png("rgba.png", 4, 4, 4, rgba, 16);
  stbi_write_bmp("rgb.bmp", 5, 4, 3, rgba);
  stbi_write_bmp("rgba.bmp", 3, 2, 4, rgba);
  stbi_write_jpg("rgb.jpg", 5, 4, 3, rgba, 90);
  stbi_write_jpg("gray.jpg", 4, 3, 1, rgba, 50);
  return 0;
}
C
cc -O1 -o "$scratch/images" "$scratch/images.c" -lm
(cd $corpus/fuzz_image && "$scratch/images")
cp data/scene.png $corpus/fuzz_image/scene.png

# --- JSON: the shipped files and the smallest entries that exercise every field.
cp data/boards.json $corpus/fuzz_boards/boards.json
cp data/clap_classes_demo.json $corpus/fuzz_clap_classes/clap_classes_demo.json
cat > $corpus/fuzz_boards/one_board.json <<'JSON'
{"boards": [{"name": "Fuzz-Board", "aliases": ["fb"], "core": "cortex-m4", "mhz": 80,
  "flash_bytes": 262144, "ram_bytes": 65536, "reserve_flash_bytes": 16384,
  "reserve_ram_bytes": 4096, "notes": "n"}]}
JSON
cat > $corpus/fuzz_boards/regions.json <<'JSON'
{"boards": [{"name": "Two-Regions", "aliases": ["tr", "t-r"], "core": "cortex-m7", "mhz": 480,
  "flash_bytes": 1048576, "ram_bytes": 196608,
  "ram_regions": [{"name": "DTCM", "kind": "dtcm", "address": "0x20000000", "size_bytes": 65536},
                  {"name": "AXI", "kind": "axi", "address": "0x24000000", "size_bytes": 131072}],
  "reserve_flash_bytes": 0, "reserve_ram_bytes": 8192, "reserve_ram_region": "AXI"},
 {"name": "STM32F746G-DISCO", "core": "cortex-m33", "mhz": 100, "flash_bytes": 1000,
  "ram_bytes": 1000}]}
JSON
printf '{"dog": [1, 0, 0], "cat": [0, 1.5, -2], "speech": [0.25, 0.5, 1e-3]}' \
  > $corpus/fuzz_clap_classes/three_wide.json
printf '{"a": [1, 2, 3], "b": [0, 0, 0]}' > $corpus/fuzz_clap_classes/zero_vector.json

# --- tinyCLAP projection metadata (nets/tinyclap.h): "TSCP", version 1, in, out, n_bands,
# ln_eps, then the float arrays.
python3 - "$corpus/fuzz_clap_meta" <<'PY'
import struct, sys
def blob(i, o, bands):
    n = o * i + o + o * o + o + o + o + 2 * bands
    values = [((k * 37) % 19 - 9) / 8.0 for k in range(n)]
    return b"TSCP" + struct.pack("<IIIIf", 1, i, o, bands, 1e-5) + struct.pack("<%df" % n, *values)
for name, args in {"in2_out2": (2, 2, 0), "in3_out2_bands2": (3, 2, 2), "in1_out1": (1, 1, 0),
                   "in4_out3_bands4": (4, 3, 4)}.items():
    open(sys.argv[1] + "/" + name + ".bin", "wb").write(blob(*args))
PY
echo "corpus: $(find $corpus -type f | wc -l) files, $(du -sk $corpus | cut -f1) KiB"
