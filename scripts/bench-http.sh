#!/usr/bin/env bash
# HTTP load benchmark against the real published service on 127.0.0.1: concurrency 1, 4, 16, 64 with dynamic
# batching on and off; prints markdown tables (req/s, p50/p95/p99, server time, CPU per request, errors, server RSS
# before/after) and the time from process start to ready.
#   scripts/bench-http.sh            full run (10 s per concurrency level)
#   scripts/bench-http.sh --smoke    seconds-long run used by CI so the benchmark cannot rot (no thresholds)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10; levels="1,4,16,64"
if [ "${1:-}" = "--smoke" ]; then seconds=1; levels="1,4"; fi
source scripts/bench-common.sh
port=18080

run() { # $1 = label, $2 = DynamicBatching
  local start
  start=$(date +%s.%N)
  start_service "$port" Classifier__DynamicBatching="$2"
  echo
  echo "ready $(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $start }") s after process start ($1)"
  echo
  load_test "$port" --concurrency "$levels" --seconds "$seconds" --label "$1"
  stop_service
}

run "batching on" true
run "batching off" false
