#!/usr/bin/env bash
# Synthetic sounds that are none of a sound classifier's classes, for the "not recognised" decision
# (audioclf calibrate --outliers): noise of three colours, steady and swept tones of four waveforms, short blips
# (10-200 ms) in silence, click trains, beeping, chords, and speech in eight voices (espeak-ng), each at random levels.
# They teach the model's bank what plainly unknown input looks like; they are never evaluation data (the measured
# out-of-domain rates use real recordings). Needs sox and espeak-ng (apt install sox espeak-ng).
# Usage: scripts/make-outliers.sh OUT-DIR [SEED]; 168 clips of 0.01-5 s at 22 050 Hz.
set -euo pipefail
out="$1"; RANDOM="${2:-11}"
mkdir -p "$out"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
sr=22050
level() { printf '0.%02d' $((5 + RANDOM % 90)); }   # a linear amplitude in [0.05, 0.94]
n=0
# emit EFFECTS (starting with synth) / emit_file FILE [EFFECTS]: the next numbered clip of this $kind
emit() { n=$((n + 1)); sox -n -r "$sr" -c 1 -b 16 "$out/$(printf '%03d' "$n")-$kind.wav" "$@"; }
emit_file() { local in="$1"; shift; n=$((n + 1)); sox "$in" -r "$sr" -c 1 -b 16 "$out/$(printf '%03d' "$n")-$kind.wav" "$@"; }
kind=noise
for colour in whitenoise pinknoise brownnoise; do
  for _ in $(seq 8); do emit synth "$((1 + RANDOM % 5))" "$colour" vol "$(level)"; done
done
kind=tone
for wave in sine square sawtooth triangle; do
  for _ in $(seq 8); do emit synth "$((1 + RANDOM % 5))" "$wave" "$((50 + RANDOM % 8000))" vol "$(level)"; done
done
kind=sweep
for wave in sine square; do
  for _ in $(seq 8); do emit synth "$((1 + RANDOM % 5))" "$wave" "$((50 + RANDOM % 2000))-$((2000 + RANDOM % 8000))" vol "$(level)"; done
done
kind=blip
for _ in $(seq 24); do
  ms=$((10 + RANDOM % 190)); wave=$([ $((RANDOM % 2)) = 0 ] && echo sine || echo whitenoise)
  emit synth "0.$(printf '%03d' "$ms")" "$wave" "$((200 + RANDOM % 6000))" vol "$(level)" pad "0.$((RANDOM % 9))" "$((RANDOM % 4))"
done
kind=clicks
for _ in $(seq 16); do
  # a train of 2 ms clicks every 20-500 ms
  period="0.$(printf '%03d' $((20 + RANDOM % 480)))"
  sox -n -r "$sr" -c 1 "$tmp/click.wav" synth 0.002 square 1000 vol "$(level)" pad 0 "$period"
  sox "$tmp/click.wav" "$tmp/train.wav" repeat "$((3 + RANDOM % 20))"
  emit_file "$tmp/train.wav"
done
kind=beeps
for _ in $(seq 16); do
  sox -n -r "$sr" -c 1 "$tmp/beep.wav" synth "0.$((1 + RANDOM % 5))" sine "$((300 + RANDOM % 3000))" vol "$(level)" pad 0 "0.$((1 + RANDOM % 8))"
  sox "$tmp/beep.wav" "$tmp/beeps.wav" repeat "$((2 + RANDOM % 8))"
  emit_file "$tmp/beeps.wav"
done
kind=chord
for _ in $(seq 16); do
  f=$((100 + RANDOM % 800))
  emit synth "$((1 + RANDOM % 5))" sine "$f" sine "$((f * 5 / 4))" sine "$((f * 3 / 2))" remix - vol "$(level)"
done
kind=speech
voices=(en-gb en-us en-gb-scotland en-gb-x-rp de fr es it)
sentences=("the meeting starts at nine tomorrow morning" "please leave a message after the tone" "one two three four five six"
           "turn left at the next junction" "this is a test of the announcement system" "good evening and welcome")
for voice in "${voices[@]}"; do
  for variant in m3 f2 m7; do
    espeak-ng -v "$voice+$variant" -s "$((120 + RANDOM % 80))" -p "$((20 + RANDOM % 60))" -w "$tmp/speech.wav" "${sentences[$((RANDOM % ${#sentences[@]}))]}"
    emit_file "$tmp/speech.wav" vol "$(level)"
  done
done
echo "$n clips in $out"
