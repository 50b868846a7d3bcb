#!/usr/bin/env bash
# Host CPU per request, before and after: the service published from git revision REV and from the current sources,
# both serving the stand-in model (TestModels.WriteStandIn), in interleaved runs minutes apart (this VM's speed drifts
# ±15 % from one minute to the next, so only interleaved pairs compare). docs/benchmarks.md, "Host CPU per request".
#   scripts/bench-host-cpu-ab.sh REV [pairs, default 3] [levels, default 16,64]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$1; pairs=${2:-3}; levels=${3:-16,64}
standin=$(mktemp --suffix=.onnx)
dotnet run -c Release --project benchmarks/AudioClassifier.Benchmarks -- stand-in-model models/esc10-resnet18.onnx "$standin" >/dev/null
export Classifier__ModelPath="$standin"
source scripts/bench-common.sh
base=$(mktemp -d)
git worktree add -f "$base/src" "$rev" >/dev/null 2>&1
trap 'rm -f "$clip" "$standin"; git worktree remove --force "$base/src" >/dev/null 2>&1; rm -rf "$base"' EXIT
(cd "$base/src" && bash scripts/publish.sh "$base/publish" >/dev/null)
port=18071
run() { # label publish-dir
  env Classifier__ExecutionProvider=Cpu Logging__LogLevel__Default=Warning Service__MaxConcurrentRequests=256 \
    Service__RequestQueueLimit=512 Classifier__MaxQueueLength=4096 dotnet "$2/AudioClassifier.Api.dll" --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
  service_pid=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/healthz/ready" >/dev/null && break; sleep 0.05; done
  load_test "$port" --concurrency "$levels" --seconds "${SECONDS_PER_LEVEL:-10}" --label "$1" | tail -n +3 | sed "s/^| /| $1 /"
  stop_service
}
echo "| run concurrency | req/s | p50 ms | p95 ms | p99 ms | server p50 ms | server CPU ms/req | client CPU ms/req | errors | requests | RSS before MB | RSS after MB |"
for _ in $(seq 1 "$pairs"); do
  run "$rev" "$base/publish"
  run current artifacts/publish
done
