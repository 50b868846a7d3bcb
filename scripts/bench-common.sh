# Sourced by the HTTP benchmarks (bench-http.sh, bench-sweep.sh, soak.sh): publishes the service from the current
# sources (so a benchmark never measures a stale build), builds the load generator, and makes the benchmark clip
# (the ESC-10 rooster as 16-bit WAV, removed on exit). Provides $model, $clip and the functions below.
model="${Classifier__ModelPath:-$PWD/models/esc10-resnet18.onnx}"
bash scripts/publish.sh artifacts/publish >/dev/null
dotnet build benchmarks/AudioClassifier.LoadTest -c Release -nologo -v quiet >/dev/null
clip=$(mktemp --suffix=.wav)
trap 'rm -f "$clip"' EXIT
sox "../shared/datasets/esc10/009 - Rooster/1-26806-A.ogg" -b 16 "$clip"

# start_service PORT [NAME=VALUE ...]: the published service on 127.0.0.1:PORT, CPU provider, warnings only, with
# extra settings as environment variables; sets $service_pid and returns once it is ready (fails after 15 s).
start_service() {
  local port=$1
  shift
  env Classifier__ModelPath="$model" Classifier__ExecutionProvider=Cpu Logging__LogLevel__Default=Warning "$@" \
    dotnet artifacts/publish/AudioClassifier.Api.dll --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
  service_pid=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/healthz/ready" >/dev/null && return 0
    sleep 0.05
  done
  echo "the service on port $port was not ready after 15 s" >&2
  return 1
}

stop_service() {
  kill -TERM "$service_pid"
  wait "$service_pid" 2>/dev/null || true
}

# load_test PORT LoadTest-options...: the load generator against the running service (reads its RSS and CPU).
load_test() {
  local port=$1
  shift
  dotnet benchmarks/AudioClassifier.LoadTest/bin/Release/net10.0/AudioClassifier.LoadTest.dll \
    --url "http://127.0.0.1:$port" --clip "$clip" --pid "$service_pid" "$@"
}
