#!/usr/bin/env bash
# The open-set threshold measured by cross-validation: exports each fold model of a cross-validation run
# (audioclf-train cv), builds its training folds into it as the similarity bank (audioclf calibrate --reference) and
# scores the fold it held out (in-domain) and the out-of-domain clips. Each fold's threshold is then taken from the
# OTHER folds' held-out clips (the largest that rejects at most 4 % of them) and applied to this fold: the rates
# printed are measured on clips that chose nothing. The last line gives the threshold pooled over all folds and the
# mean fitted temperature: what a model of the same recipe trained on every fold is calibrated with.
# Usage: scripts/open-set-cv.sh runs/esc10-cv ../shared/datasets/esc10 ../shared/datasets/urbansound8k '^[0-9]+-3-' [out-dir]
# EXPORT_FLAGS (e.g. "--int8 --calibration-dataset ../shared/datasets/esc10") exports the fold models that way;
# OUTLIERS (a folder from scripts/make-outliers.sh) adds the known-outlier bank (calibrate --outliers), with
# OUTLIER_RATIO (calibrate --outlier-ratio, default 0.5); "{fold}" in it is replaced by the held-out fold, for banks
# that must differ per fold (outliers made from the training folds' clips). RESCORE=1 skips the export and first scoring
# and recomputes the table from what is already in out-dir; SCORE=probability takes each clip's best calibrated
# probability (calibrate --scores, column 5) as the score instead of the calibrated score (column 4), each fold scored
# at the mean temperature of the other folds. EXPORTED=1 takes each fold's model from out-dir/foldN/model.onnx as it is
# (made beforehand, e.g. an ensemble of several runs' fold models by audioclf-train ensemble) instead of exporting it.
# With SCORE=probability a last pass scores every fold again at the pooled temperature (pooled-foldN.csv, kept and
# reused by RESCORE=1) and the pooled threshold is read off those scores.
set -euo pipefail
prefix=""   # calibrate() and in_scores() read and write $out/${prefix}foldN.*
export LC_ALL=C   # sort -g and awk read decimal points
cd "$(dirname "$0")/.."
cv="$(realpath "$1")"; dataset="$(realpath "$2")"; ood="$(realpath "$3")"; exclude="$4"; out="${5:-$cv/open-set}"
mkdir -p "$out"
dotnet build src/AudioClassifier.Trainer -c Release -nologo -v quiet >/dev/null
dotnet build src/AudioClassifier.Cli -c Release -nologo -v quiet >/dev/null
train=src/AudioClassifier.Trainer/bin/Release/net10.0/linux-x64/audioclf-train.dll
cli=src/AudioClassifier.Cli/bin/Release/net10.0/linux-x64/audioclf.dll
case "${SCORE:-calibrated}" in calibrated) col=4 ;; probability) col=5 ;; *) echo "SCORE must be calibrated or probability" >&2; exit 2 ;; esac
# calibrate FOLD [flags]: the fold model's bank (its training folds), its held-out fold and the out-of-domain clips
calibrate() {
  local fold="$1"; shift; local others=(); for f in "${folds[@]}"; do [ "$f" != "$fold" ] && others+=("$f"); done
  dotnet "$cli" calibrate "$out/fold$fold/model.onnx" --in-domain "$dataset" --folds "$fold" --reference "$dataset" --reference-folds "${others[@]}" \
    ${OUTLIERS:+--outliers "${OUTLIERS//\{fold\}/$fold}" --outlier-ratio "${OUTLIER_RATIO:-0.5}"} --ood "$ood" --ood-exclude "$exclude" \
    -o "$out/fold$fold/${prefix:-}calibrated.onnx" --scores "$out/${prefix:-}fold$fold.csv" "$@" >/dev/null 2>"$out/${prefix:-}fold$fold.log"
}
folds=()
for dir in "$cv"/fold*; do folds+=("${dir##*fold}"); done
for fold in "${folds[@]}"; do
  [ "${RESCORE:-0}" = 1 ] && break
  others=(); for f in "${folds[@]}"; do [ "$f" != "$fold" ] && others+=("$f"); done
  echo "fold $fold: export and score (training bank: folds ${others[*]})" >&2
  if [ "${EXPORTED:-0}" = 1 ]; then
    [ -f "$out/fold$fold/model.onnx" ] || { echo "EXPORTED=1 but $out/fold$fold/model.onnx is missing" >&2; exit 2; }
  else
    dotnet "$train" export --run "$cv/fold$fold" --out "$out/fold$fold/model.onnx" --name "cv-fold$fold" --version 1 ${EXPORT_FLAGS:-} >/dev/null
  fi
  calibrate "$fold" --report "$out/fold$fold.json"
done
# The best probability depends on the temperature, which calibrate fits on half of the fold's own held-out clips: for
# SCORE=probability each fold is scored again at the mean temperature of the OTHER folds, so nothing of a fold's
# clips sets its scores (the training similarity does not depend on the temperature).
for fold in "${folds[@]}"; do
  [ "$col" != 5 ] && break
  others=(); for f in "${folds[@]}"; do [ "$f" != "$fold" ] && others+=("$f"); done
  t="$(for f in "${others[@]}"; do jq .temperature "$out/fold$f.json"; done | awk '{ s += $1 } END { printf "%.6f", s / NR }')"
  echo "fold $fold: scored again at the other folds' temperature $t" >&2
  calibrate "$fold" --temperature "$t" --report "$out/cross-temperature-fold$fold.json"
done
# score column $col; in-domain rows have a label (column 2). Threshold: the largest rejecting at most 4 % of the scores given.
# (calibrate --scores quotes paths with commas; the paths here have none.)
threshold() { sort -g | awk '{ s[NR] = $1 } END { i = int(0.04 * NR) + 1; t = s[i] - 1e-6; printf "%.6f", (t < -1 ? -1 : t) }'; }
in_scores() { for f in "$@"; do tail -n +2 "$out/${prefix:-}fold$f.csv" | awk -F, -v c="$col" '$2 != "" { print $c }'; done; }
printf "fold\tthreshold (other folds)\tin-domain not recognised\tout-of-domain not recognised\tAUROC (all clips, this fold)\n"
for fold in "${folds[@]}"; do
  others=(); for f in "${folds[@]}"; do [ "$f" != "$fold" ] && others+=("$f"); done
  t="$(in_scores "${others[@]}" | threshold)"
  tail -n +2 "$out/fold$fold.csv" | awk -F, -v c="$col" -v t="$t" -v fold="$fold" '
    $2 != "" { n_in++; if ($c < t) r_in++ } $2 == "" { n_ood++; if ($c < t) r_ood++ }
    END { if (!n_in || !n_ood) { print "fold " fold ": no in-domain or no out-of-domain clips" > "/dev/stderr"; exit 1 }
          printf "%s\t%s\t%.4f (%d of %d)\t%.4f (%d of %d)\t", fold, t, r_in / n_in, r_in, n_in, r_ood / n_ood, r_ood, n_ood }'
  # AUROC over every clip of this fold's model (the report halves are in its JSON)
  tail -n +2 "$out/fold$fold.csv" | awk -F, -v c="$col" '$2 != "" { print $c, 1 } $2 == "" { print $c, 0 }' | sort -g | awk '
    { v[NR] = $1; p[NR] = $2 } END { # ranks with ties averaged
      i = 1; while (i <= NR) { j = i; while (j < NR && v[j + 1] == v[i]) j++; r = (i + j) / 2; for (k = i; k <= j; k++) if (p[k]) { sum += r; n1++ } else n0++; i = j + 1 }
      printf "%.4f\n", (sum - n1 * (n1 + 1) / 2) / (n1 * n0) }'
done
temperature="$(jq -s 'map(.temperature) | add / length * 10000 | round / 10000' "$out"/fold*.json)"
# A model of the recipe trained on every fold applies this mean temperature, so with SCORE=probability its pooled
# threshold is read off every fold's held-out clips scored again at that very temperature (pooled-foldN.csv), not at
# the other folds' mean temperatures of the table above (before 2026-11-28 it was: a small mismatch).
if [ "$col" = 5 ]; then
  for fold in "${folds[@]}"; do
    [ "${RESCORE:-0}" = 1 ] && [ -f "$out/pooled-fold$fold.csv" ] && continue
    echo "fold $fold: scored again at the pooled temperature $temperature" >&2
    prefix=pooled- calibrate "$fold" --temperature "$temperature" --report "$out/pooled-fold$fold.json"
  done
  pooled="$(prefix=pooled- in_scores "${folds[@]}" | threshold)"
else
  pooled="$(in_scores "${folds[@]}" | threshold)"
fi
echo "pooled over folds ${folds[*]}: --threshold $pooled --temperature $temperature"
