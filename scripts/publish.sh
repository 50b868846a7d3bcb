#!/usr/bin/env bash
# Publishes the service exactly as the Dockerfile's build stages do (CI runs this too, so a green CI means the
# image's build step compiles). Usage: scripts/publish.sh [out=artifacts/publish] [backend=cpu|gpu]
#   cpu: ONNX Runtime's CPU package only (the CPU image); gpu: its Linux CUDA 13 package (the GPU image).
#   Without the argument, $OnnxRuntimeBackend or cpu: `OnnxRuntimeBackend=gpu bash ../shared/tools/gpu/bundle.sh`
#   makes the GPU bundle.
# Only linux-x64 natives are published; an existing output folder is replaced, so no stale library survives.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/publish}"
backend="${2:-${OnnxRuntimeBackend:-cpu}}"
case "$backend" in cpu|gpu) ;; *) echo "backend must be cpu or gpu (got '$backend')" >&2; exit 2 ;; esac
[ -f "$out/AudioClassifier.Api.dll" ] && rm -rf "$out"
dotnet publish src/AudioClassifier.Api/AudioClassifier.Api.csproj -c Release -r linux-x64 --self-contained false \
  -p:OnnxRuntimeBackend="$backend" -nologo -o "$out"
echo "published ($backend) to $out: $(du -sh "$out" | cut -f1)"
