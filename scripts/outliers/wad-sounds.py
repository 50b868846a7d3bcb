#!/usr/bin/env python3
"""Writes the digitised sounds (DMX lumps, format 3) of Doom WAD files as 16-bit mono WAVs."""
import struct, sys, wave, pathlib

def sounds(path):
    data = pathlib.Path(path).read_bytes()
    kind, count, offset = struct.unpack_from("<4sii", data, 0)
    if kind not in (b"IWAD", b"PWAD"):
        raise SystemExit(f"{path}: not a WAD file")
    for i in range(count):
        pos, size, name = struct.unpack_from("<ii8s", data, offset + 16 * i)
        name = name.rstrip(b"\0").decode("ascii", "replace")
        if size < 8 or not name.startswith("DS"):
            continue
        fmt, rate, n = struct.unpack_from("<HHI", data, pos)
        if fmt != 3 or n > size - 8 or rate < 4000 or rate > 48000:
            continue
        pcm = data[pos + 8 + 16: pos + 8 + n - 16]   # 16 padding bytes each side
        if len(pcm) >= rate // 100:                   # at least 10 ms: nothing empty reaches a training set
            yield name, rate, pcm

out = pathlib.Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
seen = {}
for wad in sys.argv[2:]:
    for name, rate, pcm in sounds(wad):
        if pcm in seen.values():
            continue
        seen[name] = pcm
        with wave.open(str(out / f"{name.lower()}.wav"), "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
            w.writeframes(b"".join(struct.pack("<h", (b - 128) * 256) for b in pcm))
print(f"{len(seen)} sounds written to {out}")
