#!/usr/bin/env bash
# Host CPU per request around the model: the published service with a stand-in model that has the shipped model's
# contract (same features, same labels) but almost no compute (TestModels.WriteStandIn), under load with batching on.
# On a GPU host the model's own cost leaves the CPU, so this is the CPU a GPU deployment pays per request
# (docs/benchmarks.md, "Host CPU per request").
#   scripts/bench-host-cpu.sh [concurrency list, default 16,64] [extra Classifier/Service settings as NAME=VALUE ...]
set -euo pipefail
cd "$(dirname "$0")/.."
levels="${1:-16,64}"
shift || true
standin=$(mktemp --suffix=.onnx)
dotnet run -c Release --project benchmarks/AudioClassifier.Benchmarks -- stand-in-model models/esc10-resnet18.onnx "$standin" >/dev/null
export Classifier__ModelPath="$standin"
source scripts/bench-common.sh
trap 'rm -f "$clip" "$standin"' EXIT
port=18070
start_service "$port" Service__MaxConcurrentRequests=256 Service__RequestQueueLimit=512 Classifier__MaxQueueLength=4096 "$@"
load_test "$port" --concurrency "$levels" --seconds "${SECONDS_PER_LEVEL:-10}" --label "stand-in model"
# Where a request's time goes, from the service's own stage histograms (mean wall time per request, all levels).
curl -s "http://127.0.0.1:$port/metrics" | awk '
  /^audioclf_(request|decode|features|inference)_duration_seconds_(sum|count)/ { sub(/\{.*/, "", $1); split($1, n, "_duration_seconds_"); v[n[1] "_" n[2]] = $2 }
  END { printf "\nmean ms per request: total %.2f, decode %.2f, features (resample + log-mel) %.2f, inference (queue + run) %.2f\n",
        1000 * v["audioclf_request_sum"] / v["audioclf_request_count"], 1000 * v["audioclf_decode_sum"] / v["audioclf_decode_count"],
        1000 * v["audioclf_features_sum"] / v["audioclf_features_count"], 1000 * v["audioclf_inference_sum"] / v["audioclf_inference_count"] }'
stop_service
