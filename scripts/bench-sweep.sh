#!/usr/bin/env bash
# Tuning sweep: ONNX Runtime intra-op threads against the batching window, concurrency 1 and 16, 5 s each, on the
# published service (see docs/benchmarks.md, "Tuning sweep"). Configurations: "threads window_ms" pairs.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${Classifier__ModelPath:-$PWD/models/esc10-resnet18.onnx}"
[ -f artifacts/publish/AudioClassifier.Api.dll ] || bash scripts/publish.sh artifacts/publish >/dev/null
dotnet build benchmarks/AudioClassifier.LoadTest -c Release -nologo -v quiet >/dev/null
clip=$(mktemp --suffix=.wav)
sox "../shared/datasets/esc10/009 - Rooster/1-26806-A.ogg" -b 16 "$clip"
for cfg in "0 2" "1 2" "2 2" "0 0" "0 10"; do
  set -- $cfg
  Classifier__ModelPath="$model" Classifier__ExecutionProvider=Cpu Classifier__IntraOpThreads="$1" \
    Classifier__MaxQueueDelayMilliseconds="$2" Logging__LogLevel__Default=Warning \
    dotnet artifacts/publish/AudioClassifier.Api.dll --urls http://127.0.0.1:18090 >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf 127.0.0.1:18090/healthz/ready >/dev/null && break; sleep 0.05; done
  echo "intra-op threads=$1 (0 = ONNX Runtime default) window=${2} ms"
  dotnet benchmarks/AudioClassifier.LoadTest/bin/Release/net10.0/AudioClassifier.LoadTest.dll \
    --url http://127.0.0.1:18090 --clip "$clip" --pid "$pid" --concurrency 1,16 --seconds 5 --label sweep | tail -n 2
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
rm -f "$clip"
