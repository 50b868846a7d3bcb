#!/usr/bin/env bash
# A short-clip dataset for measuring how short clips are padded: the ten digits spoken by espeak-ng (apt install
# espeak-ng sox), 48 synthetic speakers (8 English voices x 6 variants) at random rate, pitch and level (0 to -30 dB)
# over a faint noise floor; folder per digit, files F-SPEAKER-DIGIT.wav with fold F = speaker mod 4 + 1, so a fold
# holds speakers the others never heard. Clips last 0.3-0.8 s. Usage: scripts/make-spoken-digits.sh OUT-DIR [SEED]
set -euo pipefail
out="$1"; RANDOM="${2:-7}"
voices=(en-gb en-us en-gb-scotland en-gb-x-gbclan en-gb-x-rp en-gb-x-gbcwmd en-029 en-us-nyc)
variants=(m1 m3 m5 f1 f3 f5)
words=(zero one two three four five six seven eight nine)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
speaker=0
for voice in "${voices[@]}"; do
  for variant in "${variants[@]}"; do
    fold=$((speaker % 4 + 1))
    for digit in "${!words[@]}"; do
      dir="$out/$digit - ${words[$digit]}"; mkdir -p "$dir"
      rate=$((130 + RANDOM % 70)); pitch=$((30 + RANDOM % 40)); gain=$((RANDOM % 31))
      espeak-ng -v "$voice+$variant" -s "$rate" -p "$pitch" -w "$tmp/raw.wav" "${words[$digit]}"
      # trim the synthesiser's leading and trailing silence, set the level, add a noise floor at -70 dBFS
      sox "$tmp/raw.wav" -r 22050 "$tmp/trim.wav" silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse vol -"$gain"dB
      sox "$tmp/trim.wav" -p synth whitenoise vol 0.0003 | sox -m "$tmp/trim.wav" - -b 16 "$dir/$fold-s$speaker-$digit.wav"
    done
    speaker=$((speaker + 1))
  done
done
echo "$(find "$out" -name '*.wav' | wc -l) clips in $out"
