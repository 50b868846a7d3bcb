#!/usr/bin/env bash
# Soak test (not in CI): the published service under concurrency 16 for 10 minutes (override: $1 seconds);
# reports requests, errors, latency and server RSS at the start and end (target: growth ≤ 5 %), and every minute the
# service's resident memory next to its GC heap (from /metrics), so that growth can be attributed to managed or native
# memory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
source scripts/bench-common.sh
port=18081
start_service "$port"
# A 30 s warm-up at the same load, so allocator and thread-pool growth settle before the measured window.
load_test "$port" --concurrency 16 --seconds 30 --label warm-up
(
  echo "| minute | RSS MB | GC heap MB | GC committed MB | native = RSS - GC committed MB |"
  echo "|---:|---:|---:|---:|---:|"
  for ((m = 0; m * 60 <= seconds; m++)); do
    curl -sf "http://127.0.0.1:$port/metrics" | awk -v m="$m" '
      /^dotnet_process_memory_working_set_bytes/ {rss = $2} /^dotnet_gc_last_collection_heap_size_bytes/ {heap += $2}
      /^dotnet_gc_last_collection_memory_committed_size_bytes/ {committed = $2}
      END {printf "| %d | %.0f | %.0f | %.0f | %.0f |\n", m, rss / 1048576, heap / 1048576, committed / 1048576, (rss - committed) / 1048576}'
    sleep 60
  done
) > "$clip.memory" &
sampler=$!
load_test "$port" --concurrency 16 --seconds "$seconds" --label soak
kill "$sampler" 2>/dev/null || true
echo
cat "$clip.memory"
awk -F'|' 'NR > 2 { rss[++n] = $3 } END { if (n > 1) printf "\nRSS from minute 0 to minute %d of the soak: %.0f -> %.0f MB (%+.1f %%; target <= 5 %%)\n", n - 1, rss[1], rss[n], 100 * (rss[n] - rss[1]) / rss[1] }' "$clip.memory"
rm -f "$clip.memory"
stop_service
