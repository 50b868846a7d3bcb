#!/usr/bin/env bash
# Tuning sweep on the published service (docs/benchmarks.md, "Tuning sweep"): one row per configuration, each a
# space-separated list of Classifier settings, e.g.
#   scripts/bench-sweep.sh "AllowSpinning=true" "AllowSpinning=false" "MaxBatchSize=8 CpuMemoryArena=false"
# With no arguments it runs the sweep in docs/benchmarks.md (the first row is the defaults). SWEEP_CONCURRENCY
# (default 1,16,64) and SWEEP_SECONDS (default 10) set the load levels.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${Classifier__ModelPath:-$PWD/models/esc10-resnet18.onnx}"
concurrency="${SWEEP_CONCURRENCY:-1,16,64}"
seconds="${SWEEP_SECONDS:-10}"
if [ $# -eq 0 ]; then
  set -- "MaxBatchSize=8" "IntraOpThreads=1" "IntraOpThreads=2" "AllowSpinning=false" \
    "MaxQueueDelayMilliseconds=2" "MaxQueueDelayMilliseconds=10" "MaxBatchSize=4" "MaxBatchSize=16" "MaxBatchSize=32" \
    "CpuMemoryArena=false" "DynamicBatching=false" "DynamicBatching=false AllowSpinning=false"
fi
[ -f artifacts/publish/AudioClassifier.Api.dll ] || bash scripts/publish.sh artifacts/publish >/dev/null
dotnet build benchmarks/AudioClassifier.LoadTest -c Release -nologo -v quiet >/dev/null
clip=$(mktemp --suffix=.wav)
trap 'rm -f "$clip"' EXIT
sox "../shared/datasets/esc10/009 - Rooster/1-26806-A.ogg" -b 16 "$clip"
for cfg in "$@"; do
  settings=()
  for kv in $cfg; do settings+=("Classifier__${kv%%=*}=${kv#*=}"); done
  env "${settings[@]}" Classifier__ModelPath="$model" Classifier__ExecutionProvider=Cpu Logging__LogLevel__Default=Warning \
    dotnet artifacts/publish/AudioClassifier.Api.dll --urls http://127.0.0.1:18090 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf 127.0.0.1:18090/healthz/ready >/dev/null && break; sleep 0.05; done
  echo "### $cfg (other settings at their defaults)"
  dotnet benchmarks/AudioClassifier.LoadTest/bin/Release/net10.0/AudioClassifier.LoadTest.dll \
    --url http://127.0.0.1:18090 --clip "$clip" --pid "$pid" --concurrency "$concurrency" --seconds "$seconds" --label sweep | tail -n +3
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
