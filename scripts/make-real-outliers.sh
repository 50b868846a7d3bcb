#!/usr/bin/env bash
# Real recordings that are none of ESC-10's classes, with licences that allow a shipped model to be trained on them
# (outlier exposure: audioclf-train train/cv --outlier-exposure) or to carry them as its known-outlier bank
# (calibrate --outliers): the sound effects of Debian packages, fetched with apt-get download (no install):
#   freedoom (BSD-3-Clause, Contributors to the Freedoom project): 98 sounds (gunshots, explosions, doors, machines,
#     creatures, voices; its four chainsaw sounds left out: chainsaw is an ESC-10 class), 11 025 Hz;
#   openttd-opensfx (each sound CC BY 3.0 or CC0, credited one by one in CREDITS-opensfx.txt; the one CC BY-SA sound,
#     a helicopter, and the chainsaw left out as ESC-10 classes): 69 sounds (engines, horns, trains, aircraft,
#     machinery, crowds, animals, wind), 44 100 Hz.
# With --games also (a 1.5 GB download: supertuxkart-data 630 MB, redeclipse-data 860 MB):
#   supertuxkart-data: 36 sound effects of data/sfx whose Debian copyright stanza is (or offers) CC0, public domain, CC BY 3.0 or
#     zlib (engines, horns, machines, crowds, birds, impacts; ShareAlike and GPL sounds, and clock, rain, water, thunder
#     and fireworks left out as near ESC-10 classes);
#   redeclipse-data: Q009's "morph" ambient pack (CC BY 3.0): 31 machine hums, drones and winds (rain and storms left out).
# With --more also (a 440 MB download), every sound of three more packages whose Debian copyright stanza is CC0,
# public domain or CC BY 3.0/4.0 (chosen as packages, before any of their sounds was scored):
#   sonic-pi-samples: 129 CC0 samples from freesound.org (drums, percussion, tabla, bass, guitar, loops, ambient drones,
#     electronic blips, vinyl, robots, phones; its two clock-tick-like samples left out);
#   endless-sky-data: 83 public-domain sound effects (weapons, explosions, engines, alarms, landings);
#   naev-data: 28 CC BY 3.0 or public-domain sounds (24 music tracks, a grenade, a hail, two effects).
# ATTRIBUTION.md beside them holds every notice and every OpenSFX credit: a model trained with them carries it
# (audioclf-train export --attribution ESC-10's README and this file).
# Usage: scripts/make-real-outliers.sh OUT-DIR [--games] [--more]
set -euo pipefail
out="$(realpath -m "$1")"; here="$(cd "$(dirname "$0")" && pwd)"; shift; games=""; more=""
for option in "$@"; do
  case "$option" in --games) games=--games ;; --more) more=--more ;; *) echo "unknown option $option (--games, --more)" >&2; exit 2 ;; esac
done
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
# a rerun without an option (or with fewer sounds) leaves none without its credit
rm -f "$out"/stk-*.ogg "$out"/redeclipse-*.ogg "$out"/sonicpi-*.wav "$out"/endlesssky-*.wav "$out"/naev-*.ogg "$out"/naev-*.wav
packages=(freedoom openttd-opensfx); [ "$games" = --games ] && packages+=(supertuxkart-data redeclipse-data)
[ "$more" = --more ] && packages+=(sonic-pi-samples endless-sky-data naev-data)
echo "apt-get download ${packages[*]} ..."
(cd "$tmp" && apt-get download "${packages[@]}" >/dev/null 2>&1) || { echo "apt-get download ${packages[*]} failed" >&2; exit 1; }
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
if [ "$games" = --games ]; then
  x="$tmp/x/usr/share"
  python3 "$here/outliers/debian-copyright-sounds.py" "$x/doc/supertuxkart-data/copyright" "$x/games/supertuxkart" data/sfx/ stk- "$out" \
    'clock|rain|river|waterfall|thunder|fireworks'
  python3 "$here/outliers/debian-copyright-sounds.py" "$x/doc/redeclipse-data/copyright" "$x/games/redeclipse" data/sounds/ambience/morph/ \
    redeclipse- "$out" 'rain|storm'
  { echo; echo "Sound effects of SuperTuxKart 1.4 (Debian package supertuxkart-data, data/sfx), each under the licence its"
    echo "credit names, credited one by one: CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/), public domain,"
    echo "Creative Commons Attribution 3.0 Unported (https://creativecommons.org/licenses/by/3.0/) or the zlib licence"
    echo "(https://zlib.net/zlib_license.html; each such sound's copyright holder is named in its credit):"; echo
    sed 's/^/- /' "$out/CREDITS-stk.txt"
    echo; echo "\"morph\" ambient sound pack by Slawek \"Q009\" Blauciak (Red Eclipse 1.6, Debian package redeclipse-data,"
    echo "data/sounds/ambience/morph), under the Creative Commons Attribution 3.0 Unported licence"
    echo "(https://creativecommons.org/licenses/by/3.0/):"; echo
    sed 's/^/- /' "$out/CREDITS-redeclipse.txt"; } >> "$out/ATTRIBUTION.md"
  rm "$out/CREDITS-stk.txt" "$out/CREDITS-redeclipse.txt"
fi
if [ "$more" = --more ]; then
  x="$tmp/x/usr/share"
  mkdir -p "$tmp/sonic-pi/etc" && mv "$x/sonic-pi/samples" "$tmp/sonic-pi/etc/samples"   # the copyright file's paths
  python3 "$here/outliers/debian-copyright-sounds.py" "$x/doc/sonic-pi-samples/copyright" "$tmp/sonic-pi" etc/samples/ sonicpi- "$out" \
    'tick|clock'
  python3 "$here/outliers/debian-copyright-sounds.py" "$x/doc/endless-sky-data/copyright" "$x/games/endless-sky" sounds/ endlesssky- \
    "$out" 'rain$|water'
  python3 "$here/outliers/debian-copyright-sounds.py" "$x/doc/naev-data/copyright" "$x/naev" dat/snd/ naev- "$out" 'rain|water'
  { echo; echo "Samples of Sonic Pi 3.2.2 (Debian package sonic-pi-samples, etc/samples), each from freesound.org under"
    echo "CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/), credited one by one:"; echo
    sed 's/^/- /' "$out/CREDITS-sonicpi.txt"
    echo; echo "Sound effects of Endless Sky 0.9.8 (Debian package endless-sky-data, sounds), in the public domain"
    echo "(contributed by various authors):"; echo
    sed 's/^/- /' "$out/CREDITS-endlesssky.txt"
    echo; echo "Music and sound effects of Naev 0.8.2 (Debian package naev-data, dat/snd), each under the licence its"
    echo "credit names: Creative Commons Attribution 3.0 Unported (https://creativecommons.org/licenses/by/3.0/) or public"
    echo "domain, credited one by one:"; echo
    sed 's/^/- /' "$out/CREDITS-naev.txt"; } >> "$out/ATTRIBUTION.md"
  rm "$out/CREDITS-sonicpi.txt" "$out/CREDITS-endlesssky.txt" "$out/CREDITS-naev.txt"
fi
echo "$(ls "$out"/*.wav "$out"/*.ogg 2>/dev/null | wc -l) sounds in $out"
