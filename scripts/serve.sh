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
# The page's example clips: three ESC-10 clips from ../shared when it is there (no dataset ships with the service).
esc10=../shared/datasets/esc10
examples=("$esc10/001 - Dog bark/1-100032-A.ogg" "$esc10/009 - Rooster/1-26806-A.ogg" "$esc10/002 - Rain/1-17367-A.ogg")
if [ -z "${Service__ExampleClips__0:-}" ] && [ -f "${examples[0]}" ] && [ -f "${examples[1]}" ] && [ -f "${examples[2]}" ]; then
  export Service__ExampleClips__0="$(realpath "${examples[0]}")"
  export Service__ExampleClips__1="$(realpath "${examples[1]}")"
  export Service__ExampleClips__2="$(realpath "${examples[2]}")"
  export Service__ExamplesAttribution="Examples: ESC-10 (K. J. Piczak, ESC: Dataset for Environmental Sound Classification), CC BY 3.0."
fi
exec dotnet run -c Release --project src/AudioClassifier.Api -- "$@"
