namespace AudioClassifier.Audio.Decoding;

/// <summary>Identifies the container from magic numbers, and names common formats it refuses so errors are precise.</summary>
public static class FormatSniffer
{
    /// <summary>Bytes needed to tell every supported and recognised format apart.</summary>
    public const int HeaderBytes = 64;

    /// <summary>Returns the format of <paramref name="header"/> or throws a typed error saying what the bytes are.</summary>
    public static AudioFormat Detect(ReadOnlySpan<byte> header)
    {
        if (header.IsEmpty)
            throw new EmptyAudioException("The input is empty (0 bytes).");
        if (StartsWith(header, "RIFF"u8) || StartsWith(header, "RIFX"u8) || StartsWith(header, "RF64"u8))
        {
            if (header.Length < 12)
                throw new CorruptAudioException($"The input starts like a RIFF file but is only {header.Length} bytes long.");
            if (!header[8..12].SequenceEqual("WAVE"u8))
                throw new UnsupportedAudioFormatException($"RIFF container of type '{Ascii(header[8..12])}' is not audio this service decodes; expected WAVE.");
            if (!StartsWith(header, "RIFF"u8))
                throw new UnsupportedAudioFormatException($"{Ascii(header[..4])} WAV variants are not supported; use a standard little-endian RIFF WAVE file.");
            return AudioFormat.Wav;
        }
        if (StartsWith(header, "OggS"u8))
        {
            if (Contains(header, "OpusHead"u8))
                throw new UnsupportedAudioFormatException("Ogg Opus is not supported; use Ogg Vorbis, MP3 or WAV.");
            if (Contains(header, "\u007fFLAC"u8))
                throw new UnsupportedAudioFormatException("Ogg FLAC is not supported; use Ogg Vorbis, MP3 or WAV.");
            return AudioFormat.OggVorbis;
        }
        if (StartsWith(header, "ID3"u8) || IsMpegAudioFrameHeader(header))
            return AudioFormat.Mp3;
        if (StartsWith(header, "fLaC"u8))
            throw new UnsupportedAudioFormatException("FLAC is not supported; use WAV, MP3 or Ogg Vorbis.");
        if (header.Length >= 8 && header[4..8].SequenceEqual("ftyp"u8))
            throw new UnsupportedAudioFormatException("MP4/M4A (AAC) is not supported; use WAV, MP3 or Ogg Vorbis.");
        if (header.Length >= 2 && header[0] == 0xFF && (header[1] & 0xF6) == 0xF0)
            throw new UnsupportedAudioFormatException("AAC (ADTS) is not supported; use WAV, MP3 or Ogg Vorbis.");
        if (StartsWith(header, "FORM"u8))
            throw new UnsupportedAudioFormatException("AIFF is not supported; use WAV, MP3 or Ogg Vorbis.");
        if (header.Length >= 4 && header[..4].SequenceEqual(new byte[] { 0x1A, 0x45, 0xDF, 0xA3 }))
            throw new UnsupportedAudioFormatException("WebM/Matroska is not supported; use WAV, MP3 or Ogg Vorbis.");
        throw new UnsupportedAudioFormatException(
            $"Unrecognised audio format (first bytes {Convert.ToHexString(header[..Math.Min(8, header.Length)])}); supported formats are WAV, MP3 and Ogg Vorbis.");
    }

    /// <summary>True for an MPEG-1/2/2.5 Layer I-III frame header (frame sync, valid version, layer, bitrate and rate).</summary>
    internal static bool IsMpegAudioFrameHeader(ReadOnlySpan<byte> h)
    {
        if (h.Length < 4 || h[0] != 0xFF || (h[1] & 0xE0) != 0xE0)
            return false;
        int version = (h[1] >> 3) & 3, layer = (h[1] >> 1) & 3, bitrate = h[2] >> 4, rate = (h[2] >> 2) & 3;
        return version != 1 && layer != 0 && bitrate != 15 && rate != 3;
    }

    private static bool StartsWith(ReadOnlySpan<byte> s, ReadOnlySpan<byte> prefix) => s.StartsWith(prefix);

    private static bool Contains(ReadOnlySpan<byte> s, ReadOnlySpan<byte> needle) => s.IndexOf(needle) >= 0;

    private static string Ascii(ReadOnlySpan<byte> s)
    {
        Span<char> chars = stackalloc char[s.Length];
        for (int i = 0; i < s.Length; i++)
            chars[i] = s[i] is >= 0x20 and < 0x7F ? (char)s[i] : '?';
        return new string(chars);
    }
}
