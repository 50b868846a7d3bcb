#!/usr/bin/env python3
"""Copies the .ogg sounds of an unpacked Debian package whose machine-readable copyright file gives them a licence
that lets a shipped model train on them (CC0, public domain, CC BY 3.0/4.0, zlib, BSD, Expat; never ShareAlike or GPL),
and writes one credit line per sound (file, copyright holders, licence).
Usage: debian-copyright-sounds.py COPYRIGHT DATA-ROOT UNDER PREFIX OUT-DIR [SKIP-REGEX]
  UNDER: the copyright file's path prefix of the sounds taken (e.g. data/sfx/); PREFIX: put before each file name."""
import fnmatch, pathlib, re, shutil, sys
copyright, root, under, prefix, out = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4], pathlib.Path(sys.argv[5])
skip = re.compile(sys.argv[6] if len(sys.argv) > 6 else r"(?!)", re.I)
allowed = re.compile(r"^(CC0(-1\.0)?|public-domain|CC-BY-[34]\.0\+?|zlib|Zlib|BSD-\d-clause|Expat|MIT)$", re.I)
out.mkdir(parents=True, exist_ok=True)
stanzas = []   # (patterns, holders, licence); the last stanza that matches a file wins (Debian's rule)
for block in open(copyright, encoding="utf-8").read().split("\n\n"):
    fields, key = {}, None
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1); fields[key] = value.strip()
    if "Files" in fields and "License" in fields:
        holders = re.sub(r"\s*<[^>]*>", "", fields.get("Copyright", "")).strip()
        stanzas.append((fields["Files"].split(), holders, fields["License"].split()[0]))
credits = []
for path in sorted(root.rglob("*.ogg")):
    rel = path.relative_to(root).as_posix()
    if not rel.startswith(under) or skip.search(path.stem):
        continue
    match = None
    for patterns, holders, licence in stanzas:
        if any(fnmatch.fnmatch(rel, p) for p in patterns):
            match = (holders, licence)
    if match is None or not allowed.match(match[1]):
        continue
    name = f"{prefix}{path.name}"
    shutil.copyfile(path, out / name)
    credits.append(f"{name}: {rel}, {match[0] or 'no holder named'}, {match[1]}")
(out / f"CREDITS-{prefix.rstrip('-')}.txt").write_text("\n".join(credits) + "\n")
print(f"{len(credits)} sounds written to {out}")
