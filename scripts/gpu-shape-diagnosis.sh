#!/bin/bash
# GPU host, bundle unpacked under $G (../shared/tools/gpu/bundle.sh): why batching collapsed on CUDA with several batch
# shapes, and the one-shape default measured. The same service and load generator as check.sh, one setting varied at a
# time; docs/benchmarks.md ("GPU serving on an H200") holds the results. Usage: G=/tmp/gpu bash gpu-shape-diagnosis.sh
set -u
G=${G:-/tmp/gpu}; OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export DOTNET_ROOT=$G/dn PATH=$G/dn:$PATH DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
libdirs=$(for n in libcublas.so.13 libcublasLt.so.13 libcudart.so.13 libcurand.so.10 libcudnn.so.9 libcufft.so.12; do
  f=$(find / -xdev -name "$n" -not -path '*/proc/*' 2>/dev/null | head -1); [ -n "$f" ] && dirname "$f"; done | sort -u | tr '\n' ':')
export LD_LIBRARY_PATH=${libdirs}${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name --format=csv,noheader
port=18080; pid=
start() { local tag=$1; shift
  env Classifier__ModelPath=$G/model.onnx Classifier__ExecutionProvider=Cuda Logging__LogLevel__Default=Warning \
    Service__MaxConcurrentRequests=1024 Service__RequestQueueLimit=2048 Classifier__MaxQueueLength=32768 Classifier__MaxBatchSize=32 "$@" \
    dotnet ${APP:-$G/app}/AudioClassifier.Api.dll --urls http://127.0.0.1:$port >>$OUT/svc-diag.log 2>&1 &
  pid=$!
  for i in $(seq 1 300); do curl -sf http://127.0.0.1:$port/healthz/ready >/dev/null && return 0; sleep 0.1; done; echo "NOT READY $tag"; kill $pid; wait $pid 2>/dev/null; return 1; }
stop() { curl -s http://127.0.0.1:$port/metrics | grep -E '^audioclf_batch_runs_total' | sed 's/.*shape="\([0-9]*\)"} /\1:/' | tr '\n' ' '; echo; kill -TERM $pid; wait $pid 2>/dev/null; }
load() { timeout 120 dotnet $G/lt/AudioClassifier.LoadTest.dll --url http://127.0.0.1:$port --clip $G/clips/rooster.wav --pid $pid --seconds 4 --concurrency "$1" --label "$2" | grep -v '^|---'; }
echo "== A shapes 1,2,4,...,32 (the CUDA default before), 0 ms window, c=16 three times, 64, 16 again"; start A Classifier__BatchShapes=1,2,4,8,16,32 && { load 16,16,16,64,16 "A shapes 1-32"; stop; }
echo "== B heuristic conv search"; start B Classifier__BatchShapes=1,2,4,8,16,32 Classifier__Cuda__ConvolutionSearch=Heuristic && { load 16,16 "B heuristic"; stop; }
echo "== C thread pool min 64 workers"; start C Classifier__BatchShapes=1,2,4,8,16,32 DOTNET_ThreadPool_ForceMinWorkerThreads=0x40 && { load 16,16 "C minthreads64"; stop; }
echo "== D every run padded to 32"; start D Classifier__BatchShapes=32 && { load 16,16 "D shape32"; stop; }
echo "== E MaxBatchSize 8"; start E Classifier__MaxBatchSize=8 Classifier__BatchShapes=1,2,4,8 && { load 16,16 "E max8"; stop; }
echo "== F batching off, for reference"; start F Classifier__DynamicBatching=false && { load 16 "F off"; stop; }
echo "== V the CUDA default now (one shape, 32)"; start V && { load 1,16,64,256 "V one shape"; stop; }
