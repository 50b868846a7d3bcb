namespace AudioClassifier.Audio.Decoding;

/// <summary>
/// Encoder delay and padding from the LAME/Info tag in an MP3's first frame. Trimming them (plus the 529-sample
/// decoder delay) makes a decoded MP3 line up sample for sample with the audio it was encoded from, as gapless
/// players do; without it, features of an MP3 lag those of its source by about 25 ms.
/// </summary>
internal readonly record struct LameGaplessInfo(int EncoderDelay, int Padding, long DataFrames, int SamplesPerFrame)
{
    /// <summary>Delay every MPEG Layer III decoder adds (the synthesis filterbank's latency).</summary>
    public const int DecoderDelay = 529;

    /// <summary>Samples to drop at the start of the decoded stream.</summary>
    public int Skip => EncoderDelay + DecoderDelay;

    /// <summary>Samples of real audio the encoder was given.</summary>
    public long Length => DataFrames * SamplesPerFrame - EncoderDelay - Padding;

    /// <summary>Finds the tag in the first MPEG frame after any ID3v2 tag; null when absent or implausible.</summary>
    public static LameGaplessInfo? Find(ReadOnlySpan<byte> file)
    {
        int pos = 0;
        if (file.StartsWith("ID3"u8) && file.Length >= 10)
            pos = 10 + ((file[6] << 21) | (file[7] << 14) | (file[8] << 7) | file[9]) + ((file[5] & 0x10) != 0 ? 10 : 0);
        if (pos + 4 > file.Length || !FormatSniffer.IsMpegAudioFrameHeader(file[pos..]))
            return null;
        var h = file[pos..];
        int version = (h[1] >> 3) & 3; // 3 = MPEG-1
        int layer = (h[1] >> 1) & 3;   // 1 = Layer III
        bool mono = (h[3] >> 6) == 3;
        if (layer != 1)
            return null;
        int sideInfo = version == 3 ? (mono ? 17 : 32) : (mono ? 9 : 17);
        int xing = 4 + sideInfo + ((h[1] & 1) == 0 ? 2 : 0);
        if (xing + 8 > h.Length)
            return null;
        var tag = h[xing..];
        if (!tag.StartsWith("Xing"u8) && !tag.StartsWith("Info"u8))
            return null;
        uint flags = (uint)((tag[4] << 24) | (tag[5] << 16) | (tag[6] << 8) | tag[7]);
        if ((flags & 1) == 0)
            return null;
        int offset = 8;
        long frames = (uint)((tag[offset] << 24) | (tag[offset + 1] << 16) | (tag[offset + 2] << 8) | tag[offset + 3]);
        offset += 4;
        if ((flags & 2) != 0) offset += 4;
        if ((flags & 4) != 0) offset += 100;
        if ((flags & 8) != 0) offset += 4;
        if (offset + 24 > tag.Length)
            return null;
        var lame = tag[offset..];
        if (!lame.StartsWith("LAME"u8) && !lame.StartsWith("Lavc"u8) && !lame.StartsWith("Lavf"u8))
            return null;
        int delay = (lame[21] << 4) | (lame[22] >> 4);
        int padding = ((lame[22] & 0x0F) << 8) | lame[23];
        int samplesPerFrame = version == 3 ? 1152 : 576;
        var info = new LameGaplessInfo(delay, padding, frames, samplesPerFrame);
        return frames > 0 && info.Length > 0 ? info : null;
    }
}
