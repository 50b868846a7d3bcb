#!/usr/bin/env bash
# int8 against float32 on the same folds: exports each fold model of a cross-validation run (audioclf-train cv) as
# float32 and int8 (calibrated on that fold's training clips), scores both on the fold it held out through the
# service's path (audioclf evaluate), and prints one row per fold and the means.
# Usage: scripts/int8-vs-float-cv.sh runs/esc10-cv ../shared/datasets/esc10 [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
cv="$(realpath "$1")"; dataset="$(realpath "$2")"; out="${3:-$cv/int8-vs-float}"
mkdir -p "$out"
dotnet build src/AudioClassifier.Trainer -c Release -nologo -v quiet >/dev/null
dotnet build src/AudioClassifier.Cli -c Release -nologo -v quiet >/dev/null
train=src/AudioClassifier.Trainer/bin/Release/net10.0/linux-x64/audioclf-train.dll
cli=src/AudioClassifier.Cli/bin/Release/net10.0/linux-x64/audioclf.dll
printf "fold\tfloat32\tint8\n"
for dir in "$cv"/fold*; do
  fold="${dir##*fold}"
  for precision in float32 int8; do
    flag=""; [ "$precision" = int8 ] && flag="--int8"
    dotnet "$train" export --run "$dir" --out "$out/fold$fold-$precision/model.onnx" --name "cv-fold$fold" --version 1 $flag --calibration-dataset "$dataset" >/dev/null
    dotnet "$cli" evaluate "$out/fold$fold-$precision/model.onnx" --dataset "$dataset" --folds "$fold" --report "$out/fold$fold-$precision.json" >/dev/null
  done
  printf "%s\t%s\t%s\n" "$fold" "$(jq .accuracy "$out/fold$fold-float32.json")" "$(jq .accuracy "$out/fold$fold-int8.json")"
done
jq -s 'group_by(.precision) | map({precision: .[0].precision, mean_accuracy: (map(.accuracy) | add / length)})' "$out"/fold*-*.json
