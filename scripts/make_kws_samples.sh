#!/usr/bin/env bash
# Synthesizes the keyword-spotting sample recordings with espeak-ng and sox, so the README,
# the tests and the benchmarks never need downloaded speech.
#
#   scripts/make_kws_samples.sh [OUT_DIR]        (default OUT_DIR: ./kws_samples)
#
# Writes 16 kHz mono 16-bit WAVs:
#   yes.wav no.wav stop.wav go.wav   one word each, exactly 1 s: the synthesized word with its
#                                    leading/trailing silence trimmed, peak-normalized to
#                                    -1 dBFS and centred (equal silence before and after; a
#                                    word longer than 1 s would keep its middle second)
#   sentence.wav                     "hello ... go ... stop ... yes" for streaming, 6 s:
#                                    0.5 s silence, then the 1 s clips of hello, go, (0.5 s
#                                    silence) stop, (0.5 s silence) yes, 0.5 s silence; the
#                                    words are centred at 1.0, 2.0, 3.5 and 5.0 s
# Environment: KWS_VOICE (espeak-ng voice, default en), KWS_SPEED (words per minute,
# default 120). Output files are written beside their target and renamed into place.
set -euo pipefail

out_dir=${1:-kws_samples}
voice=${KWS_VOICE:-en}
speed=${KWS_SPEED:-120}
rate=16000

for tool in espeak-ng sox; do
  command -v "$tool" > /dev/null || { echo "make_kws_samples: $tool is not installed" >&2; exit 1; }
done
mkdir -p "$out_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# word -> $tmp/<word>.wav, 1 s, centred
synthesize_word() {
  local word=$1
  espeak-ng -v "$voice" -s "$speed" -w "$tmp/$word.espeak.wav" "$word"
  # Resample to 16 kHz mono 16-bit; trim silence (below 0.1 % of full scale) at both ends.
  sox -D "$tmp/$word.espeak.wav" -r "$rate" -c 1 -b 16 "$tmp/$word.trimmed.wav" \
    silence 1 0.005 0.1% reverse silence 1 0.005 0.1% reverse norm -1
  local samples
  samples=$(sox --i -s "$tmp/$word.trimmed.wav")
  if ((samples <= rate)); then
    local before=$(((rate - samples) / 2))
    sox -D "$tmp/$word.trimmed.wav" "$tmp/$word.wav" pad "${before}s" "$((rate - samples - before))s"
  else
    sox -D "$tmp/$word.trimmed.wav" "$tmp/$word.wav" trim "$(((samples - rate) / 2))s" "${rate}s"
  fi
}

silence() {  # silence <seconds> <file>
  sox -D -n -r "$rate" -c 1 -b 16 "$2" trim 0 "$1"
}

for word in yes no stop go hello; do
  synthesize_word "$word"
done
silence 0.5 "$tmp/gap.wav"
sox -D "$tmp/gap.wav" "$tmp/hello.wav" "$tmp/go.wav" "$tmp/gap.wav" "$tmp/stop.wav" \
  "$tmp/gap.wav" "$tmp/yes.wav" "$tmp/gap.wav" "$tmp/sentence.wav"

for name in yes no stop go sentence; do
  cp "$tmp/$name.wav" "$out_dir/.$name.wav.tmp-$$"
  mv -f "$out_dir/.$name.wav.tmp-$$" "$out_dir/$name.wav"
done
echo "make_kws_samples: wrote yes.wav no.wav stop.wav go.wav sentence.wav to $out_dir"
