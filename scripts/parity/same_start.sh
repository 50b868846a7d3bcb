#!/usr/bin/env bash
# Paired parity runs: for each seed, torchvision's initial weights and the C# trainer's batch order go to both
# frameworks (same_start.py), so a gap between them is the frameworks' and not the draw of weights or order.
# Usage: scripts/parity/same_start.sh OUT_DIR SEED... (env: TRAINER = the audioclf-train.dll to run, DATASET, EPOCHS,
# DROPOUT, default 0.25 as in the recipe: each framework then draws its own dropout masks; DROPOUT=0 removes that draw
# too). Writes OUT_DIR/results.jsonl: one line per seed and framework. Runs one job at a time (two would share the cores
# and slow both several-fold).
set -euo pipefail
out=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
trainer=${TRAINER:-$here/../../src/AudioClassifier.Trainer/bin/Release/net10.0/linux-x64/audioclf-train.dll}
dataset=${DATASET:-$here/../../../shared/datasets/esc10}
epochs=${EPOCHS:-20}
dropout=${DROPOUT:-0.25}
python=${PYTHON:-/usr/bin/python3}
mkdir -p "$out"
if [ ! -f "$out/inputs/inputs.npy" ]; then
  dotnet "$trainer" inputs --dataset "$dataset" --recipe seed --out "$out/inputs"
fi
for seed in "$@"; do
  echo "== seed $seed: initial weights"
  "$python" "$here/same_start.py" --inputs "$out/inputs" --test-fold 4 --seed "$seed" --dropout "$dropout" --write-init "$out/init-s$seed.dat"
  echo "== seed $seed: C# trainer ($epochs epochs)"
  rm -rf "$out/runs/same-s$seed"
  dotnet "$trainer" train --dataset "$dataset" --recipe seed --init "$out/init-s$seed.dat" --dropout "$dropout" --epochs "$epochs" \
    --test-folds 4 --val-fraction 0 --seed "$seed" --evaluation-windows first --runs-dir "$out/runs" --run-name "same-s$seed" \
    2>&1 | tee "$out/csharp-s$seed.log" | grep -E "^epoch [0-9]+/[0-9]+:|^test folds"
  # The same start only if every weight came from the file (the input standardisation is set from the data after).
  left=$(jq -c '.initialization.Random' "$out/runs/same-s$seed/config.json")
  [ "$left" = '["input_mean","input_std"]' ] || { echo "seed $seed: weights left random: $left" >&2; exit 1; }
  acc=$(grep -oP '^test folds 4: loss [0-9.]+ acc \K[0-9.]+' "$out/csharp-s$seed.log")
  mean=$(jq .input_normalization.mean "$out/runs/same-s$seed/config.json")
  std=$(jq .input_normalization.std "$out/runs/same-s$seed/config.json")
  echo "{\"framework\": \"audioclf-train\", \"seed\": $seed, \"accuracy\": $acc}" >> "$out/results.jsonl"
  echo "== seed $seed: PyTorch"
  "$python" "$here/same_start.py" --inputs "$out/inputs" --test-fold 4 --seed "$seed" --epochs "$epochs" --dropout "$dropout" \
    --mean "$mean" --std "$std" | tee "$out/pytorch-s$seed.log"
  tail -1 "$out/pytorch-s$seed.log" | jq -c "{framework: \"pytorch\", seed: .seed, accuracy: (.test_accuracy * 10000 | round / 100)}" >> "$out/results.jsonl"
done
cat "$out/results.jsonl"
