#!/usr/bin/env bash
# Tuning sweep on the published service (docs/benchmarks.md, "Tuning sweep"): one row per configuration, each a
# space-separated list of Classifier settings, e.g.
#   scripts/bench-sweep.sh "AllowSpinning=true" "AllowSpinning=false" "MaxBatchSize=8 CpuMemoryArena=false"
# With no arguments it runs the sweep in docs/benchmarks.md (the first row is the defaults). SWEEP_CONCURRENCY
# (default 1,16,64) and SWEEP_SECONDS (default 10) set the load levels.
set -euo pipefail
cd "$(dirname "$0")/.."
concurrency="${SWEEP_CONCURRENCY:-1,16,64}"
seconds="${SWEEP_SECONDS:-10}"
if [ $# -eq 0 ]; then
  set -- "MaxBatchSize=8" "IntraOpThreads=1" "IntraOpThreads=2" "AllowSpinning=false" \
    "MaxQueueDelayMilliseconds=2" "MaxQueueDelayMilliseconds=10" "MaxBatchSize=4" "MaxBatchSize=16" "MaxBatchSize=32" \
    "CpuMemoryArena=false" "DynamicBatching=false" "DynamicBatching=false AllowSpinning=false"
fi
source scripts/bench-common.sh
port=18090
for cfg in "$@"; do
  settings=()
  for kv in $cfg; do settings+=("Classifier__${kv%%=*}=${kv#*=}"); done
  start_service "$port" "${settings[@]}"
  echo "### $cfg (other settings at their defaults)"
  load_test "$port" --concurrency "$concurrency" --seconds "$seconds" --label sweep | tail -n +3
  # Runs per batch shape and padding windows over the whole row (the load generator's warm-up included).
  echo "runs by shape: $(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^audioclf_batch_runs_total{.*shape="\([0-9]*\)"} \([0-9]*\)$/\1:\2/p' | tr '\n' ' ')" \
    "padding windows: $(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^audioclf_batch_padding_windows_total{[^}]*} //p')"
  stop_service
done
