#!/usr/bin/env python3
"""Copies the sounds (.ogg, .wav; .flac converted to 16-bit .wav with sox) of an unpacked Debian package whose machine-readable copyright file gives them a licence
that lets a shipped model train on them (CC0, public domain, CC BY 3.0 or 4.0, zlib: a licence line naming exactly one of
them, or offering one of them as a choice; never ShareAlike, GPL or a combination of licences), and writes one credit line per sound (file, copyright holders, licence).
Usage: debian-copyright-sounds.py COPYRIGHT DATA-ROOT UNDER PREFIX OUT-DIR [SKIP-REGEX]
  UNDER: the copyright file's path prefix of the sounds taken (e.g. data/sfx/); PREFIX: put before each file name."""
import pathlib, re, shutil, subprocess, sys
copyright, root, under, prefix, out = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4], pathlib.Path(sys.argv[5])
skip = re.compile(sys.argv[6] if len(sys.argv) > 6 else r"(?!)", re.I)
allowed = re.compile(r"^(CC0(-1\.0)?|public-domain|PD|CC-BY-[34]\.0|zlib)$", re.I)   # the whole licence line, nothing else
out.mkdir(parents=True, exist_ok=True)
stanzas = []   # (patterns, holders, licence); the last stanza that matches a file wins (Debian's rule)
def glob(pattern):   # Debian's Files patterns know * and ? only
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")
for block in re.split(r"\n[ \t]*\n", open(copyright, encoding="utf-8").read()):
    fields, first, key = {}, {}, None   # first: a field's first line (License's is its name; the text follows)
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1); fields[key] = first[key] = value.strip()
    if "Files" in fields and "License" in fields:
        holders = re.sub(r"\s*<[^>]*>", "", fields.get("Copyright", "")).strip()
        stanzas.append(([glob(p.removeprefix("./")) for p in fields["Files"].split()], holders, first["License"]))
credits = []
for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in (".ogg", ".wav", ".flac")):
    rel = path.relative_to(root).as_posix()
    if not rel.startswith(under) or skip.search(path.stem):
        continue
    match = None
    for patterns, holders, licence in stanzas:
        if any(p.match(rel) for p in patterns):
            match = (holders, licence)
    # "A or B": the sound may be used under either, so the first allowed choice is taken; "A and B" never passes.
    choice = next((c for c in match[1].split(" or ") if allowed.match(c.strip())), None) if match else None
    if choice is None:
        continue
    match = (match[0], choice.strip())
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-")   # no spaces or ~ in the names written
    name = f"{prefix}{stem}{'.wav' if path.suffix.lower() == '.flac' else path.suffix.lower()}"
    if (out / name).exists():
        raise SystemExit(f"{name} would be written twice (two sounds of that name); give a narrower UNDER")
    if path.suffix.lower() == ".flac":   # the decoders read WAV, MP3 and Ogg
        subprocess.run(["sox", str(path), "-b", "16", str(out / name)], check=True)
    else:
        shutil.copyfile(path, out / name)
    credits.append(f"{name}: {rel}, {match[0] or 'no holder named'}, {match[1]}")
(out / f"CREDITS-{prefix.rstrip('-')}.txt").write_text("\n".join(credits) + "\n")
print(f"{len(credits)} sounds written to {out}")
