#!/usr/bin/env python3
"""Writes the sounds of an OpenTTD sample set (.cat) as WAVs, with each sound's credit line."""
import pathlib, re, struct, sys, wave
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
skip = re.compile(sys.argv[3] if len(sys.argv) > 3 else r"(?!)", re.I)
data = src.read_bytes()
count = (struct.unpack_from("<I", data, 0)[0] & 0x7FFFFFFF) // 8
credits = []
for k in range(count):
    offset, size = struct.unpack_from("<II", data, 8 * k); offset &= 0x7FFFFFFF
    n = data[offset]; credit = data[offset + 1: offset + 1 + n].rstrip(b"\0").decode("utf-8", "replace")
    wav = data[offset + 1 + n: offset + size]
    if wav[:4] != b"RIFF" or "Nothing" in credit or skip.search(credit) or "ShareAlike" in credit:
        continue
    # Some sounds declare a longer data chunk than the set holds: rewrite each as a clean PCM WAV of what is there.
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(wav):
        cid, csize = wav[pos:pos + 4], struct.unpack_from("<I", wav, pos + 4)[0]
        body = wav[pos + 8: pos + 8 + csize]
        if cid == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", body, 0)
        elif cid == b"data":
            pcm = body
        pos += 8 + csize + (csize & 1)
    if fmt is None or pcm is None or fmt[0] != 1:
        raise SystemExit(f"sound {k}: not PCM")
    _, channels, rate, _, align, bits = fmt
    pcm = pcm[: len(pcm) // align * align]
    if len(pcm) < align * rate // 100:   # under 10 ms: nothing empty reaches a training set
        continue
    with wave.open(str(out / f"opensfx-{k:02d}.wav"), "wb") as w:
        w.setnchannels(channels); w.setsampwidth(bits // 8); w.setframerate(rate); w.writeframes(pcm)
    credits.append(f"opensfx-{k:02d}.wav: {credit}")
(out / "CREDITS-opensfx.txt").write_text("\n".join(credits) + "\n")
print(f"{len(credits)} sounds written to {out}")
