#!/usr/bin/env bash
# HTTP load benchmark against the real published service on 127.0.0.1: concurrency 1, 4, 16, 64 with dynamic
# batching on and off; prints markdown tables (req/s, p50/p95/p99, errors, server RSS before/after) and the time
# from process start to ready.
#   scripts/bench-http.sh            full run (10 s per concurrency level)
#   scripts/bench-http.sh --smoke    seconds-long run used by CI so the benchmark cannot rot (no thresholds)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10; levels="1,4,16,64"
if [ "${1:-}" = "--smoke" ]; then seconds=1; levels="1,4"; fi
model="${Classifier__ModelPath:-$PWD/models/esc10-resnet18.onnx}"
[ -f artifacts/publish/AudioClassifier.Api.dll ] || bash scripts/publish.sh artifacts/publish >/dev/null
dotnet build benchmarks/AudioClassifier.LoadTest -c Release -nologo -v quiet >/dev/null
clip=$(mktemp --suffix=.wav)
sox "../shared/datasets/esc10/009 - Rooster/1-26806-A.ogg" -b 16 "$clip"
port=18080

run() { # $1 = label, $2 = DynamicBatching
  local start log pid
  log=$(mktemp)
  start=$(date +%s.%N)
  Classifier__ModelPath="$model" Classifier__ExecutionProvider=Cpu Classifier__DynamicBatching="$2" \
    Logging__LogLevel__Default=Warning dotnet artifacts/publish/AudioClassifier.Api.dll --urls "http://127.0.0.1:$port" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$port/healthz/ready" >/dev/null; then break; fi
    sleep 0.05
  done
  echo
  echo "ready $(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $start }") s after process start ($1)"
  echo
  dotnet benchmarks/AudioClassifier.LoadTest/bin/Release/net10.0/AudioClassifier.LoadTest.dll \
    --url "http://127.0.0.1:$port" --clip "$clip" --pid "$pid" --concurrency "$levels" --seconds "$seconds" --label "$1"
  kill -TERM "$pid"; wait "$pid" || true
  rm -f "$log"
}

run "batching on" true
run "batching off" false
rm -f "$clip"
