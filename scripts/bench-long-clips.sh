#!/usr/bin/env bash
# Memory and time for the advertised longest clips: N concurrent 10-minute uploads (16-bit WAV at 44.1 kHz and
# 16 kHz, Ogg at 44.1 kHz, MP3) to the published service with the shipped model and default settings, CPU provider.
# Prints each answer's status and time, and the service's peak RSS (VmHWM) before and after.
# Usage: scripts/bench-long-clips.sh [rounds=1] [extra NAME=VALUE settings...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
shift || true
source scripts/bench-common.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$clip"; [ -n "${service_pid:-}" ] && kill "$service_pid" 2>/dev/null || true' EXIT
echo "making four 600 s clips in $dir ..."
sox -n -r 44100 -c 1 -b 16 "$dir/600s-44k.wav" synth 600 pinknoise vol 0.2
sox -n -r 16000 -c 1 -b 16 "$dir/600s-16k.wav" synth 600 pinknoise vol 0.2
sox -n -r 44100 -c 1 "$dir/600s-44k.ogg" synth 600 sine 300-3000 vol 0.3
lame --quiet -b 32 "$dir/600s-16k.wav" "$dir/600s.mp3"
port=5391
start_service $port "$@"
hwm() { awk '/VmHWM|VmRSS/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$service_pid/status"; echo; }
echo "after start:   $(hwm)"
for round in $(seq 1 "$rounds"); do
  pids=()
  for f in 600s-44k.wav 600s-16k.wav 600s-44k.ogg 600s.mp3; do
    case $f in *.wav) type=audio/wav ;; *.ogg) type=audio/ogg ;; *.mp3) type=audio/mpeg ;; esac
    curl -s -o /dev/null -w "round $round $f: %{http_code} in %{time_total} s\n" \
      -H "Content-Type: $type" --data-binary "@$dir/$f" "http://127.0.0.1:$port/classify" &
    pids+=($!)
  done
  wait "${pids[@]}"
  echo "after round $round: $(hwm)"
done
stop_service
