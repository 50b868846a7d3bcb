#!/usr/bin/env bash
# Real recordings that are none of ESC-10's classes, with licences that allow a shipped model to be trained on them
# (outlier exposure: audioclf-train train/cv --outlier-exposure) or to carry them as its known-outlier bank
# (calibrate --outliers): the sound effects of two Debian packages, fetched with apt-get download (no install):
#   freedoom (BSD-3-Clause, Contributors to the Freedoom project): 98 sounds (gunshots, explosions, doors, machines,
#     creatures, voices; its four chainsaw sounds left out: chainsaw is an ESC-10 class), 11 025 Hz;
#   openttd-opensfx (each sound CC BY 3.0 or CC0, credited one by one in CREDITS-opensfx.txt; the one CC BY-SA sound,
#     a helicopter, and the chainsaw left out as ESC-10 classes): 69 sounds (engines, horns, trains, aircraft,
#     machinery, crowds, animals, wind), 44 100 Hz.
# ATTRIBUTION.md beside them holds both notices and every OpenSFX credit: a model trained with them carries it
# (audioclf-train export --attribution ESC-10's README and this file).
# Usage: scripts/make-real-outliers.sh OUT-DIR
set -euo pipefail
out="$(realpath -m "$1")"; here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
(cd "$tmp" && apt-get download freedoom openttd-opensfx >/dev/null 2>&1) || { echo "apt-get download freedoom openttd-opensfx failed" >&2; exit 1; }
for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$tmp/x"; done
python3 "$here/outliers/wad-sounds.py" "$out" "$tmp"/x/usr/share/games/doom/freedoom1.wad "$tmp"/x/usr/share/games/doom/freedoom2.wad
rm -f "$out"/dssaw*.wav                                   # chainsaw: an ESC-10 class
python3 "$here/outliers/opensfx-sounds.py" "$tmp"/x/usr/share/games/openttd/baseset/opensfx/opensfx.cat "$out" 'helicopter|chainsaw'
{ echo "# Outlier sounds (trained towards \"none of these classes\")"; echo
  echo "Sound effects of Freedoom (freedoom1.wad, freedoom2.wad; Debian package freedoom), under this licence:"; echo
  awk '/^License: freedoom-license$/ { text = ""; on = 1; next } on && /^[^ ]/ { on = 0 } on { text = text $0 "\n" }
       END { printf "%s", text }' "$tmp"/x/usr/share/doc/freedoom/copyright | sed -e 's/^ \.$//' -e 's/^ /    /'
  echo; echo "Sound effects of OpenSFX 1.0.3 (Debian package openttd-opensfx), each under the licence its credit names"
  echo "(Creative Commons Attribution 3.0 Unported or CC0 1.0):"; echo
  sed 's/^/- /' "$out/CREDITS-opensfx.txt"; } > "$out/ATTRIBUTION.md"
rm "$out/CREDITS-opensfx.txt"
echo "$(ls "$out"/*.wav | wc -l) sounds in $out"
