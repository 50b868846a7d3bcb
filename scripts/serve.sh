#!/usr/bin/env bash
# Serves the classifier on port 8080 (override with --urls or ASPNETCORE_URLS) with the shipped model in models/,
# or the one named by Classifier__ModelPath. Extra arguments are passed to the service.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${Classifier__ModelPath:-models/esc10-resnet18.onnx}"
if [ ! -f "$model" ]; then
  echo "note: no model at $model yet; the service starts, reports not-ready on /healthz/ready and loads it as soon as it appears." >&2
  echo "      train and export one (see README) or set Classifier__ModelPath=/path/to/model.onnx" >&2
fi
exec dotnet run -c Release --project src/AudioClassifier.Api -- "$@"
