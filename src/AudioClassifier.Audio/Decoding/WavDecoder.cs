using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace AudioClassifier.Audio.Decoding;

/// <summary>
/// RIFF/WAVE parser for PCM 8/16/24/32-bit, IEEE float 32/64 and WAVE_FORMAT_EXTENSIBLE. It walks chunks over the
/// bytes actually present, so a declared size larger than the file is reported as truncation instead of trusted.
/// </summary>
internal static class WavDecoder
{
    private const ushort FormatPcm = 0x0001;
    private const ushort FormatIeeeFloat = 0x0003;
    private const ushort FormatExtensible = 0xFFFE;
    private const uint UnknownDataSize = 0xFFFFFFFF;

    public static AudioClip Decode(ReadOnlySpan<byte> file, DecodeOptions options)
    {
        if (file.Length < 12)
            throw new CorruptAudioException($"WAV file is truncated: {file.Length} bytes, fewer than the 12-byte RIFF header.");

        WavFormat? format = null;
        int pos = 12;
        while (pos + 8 <= file.Length)
        {
            var id = file.Slice(pos, 4);
            uint declared = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(pos + 4, 4));
            int bodyStart = pos + 8;
            long available = file.Length - bodyStart;

            if (id.SequenceEqual("fmt "u8))
            {
                if (declared > available)
                    throw new CorruptAudioException($"WAV 'fmt ' chunk declares {declared} bytes but only {available} remain (file truncated or header corrupt).");
                format = WavFormat.Parse(file.Slice(bodyStart, (int)declared), options);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (format is null)
                    throw new CorruptAudioException("WAV 'data' chunk appears before the 'fmt ' chunk.");
                long length = declared == UnknownDataSize ? available : declared;
                if (length > available)
                    throw new CorruptAudioException($"WAV data chunk declares {declared} bytes but only {available} are present (file truncated?).");
                return DecodeSamples(file.Slice(bodyStart, (int)length), format, options);
            }
            else if (declared > available)
            {
                throw new CorruptAudioException($"WAV chunk '{Printable(id)}' declares {declared} bytes but only {available} remain (file truncated or header corrupt).");
            }

            long next = bodyStart + (long)declared + (declared & 1);
            pos = (int)Math.Min(next, file.Length);
        }

        throw format is null
            ? new CorruptAudioException("WAV file has no 'fmt ' chunk.")
            : new CorruptAudioException("WAV file has no 'data' chunk (file truncated?).");
    }

    private static AudioClip DecodeSamples(ReadOnlySpan<byte> data, WavFormat format, DecodeOptions options)
    {
        int frameBytes = format.BlockAlign;
        long frames = data.Length / frameBytes;
        if (frames == 0)
            throw new EmptyAudioException("WAV data chunk holds no complete sample frames.");
        double seconds = (double)frames / format.SampleRate;
        if (seconds > options.MaxDuration.TotalSeconds)
            throw AudioTooLongException.Duration(seconds, options.MaxDuration);

        var mono = new float[frames];
        int channels = format.Channels;
        int bytes = format.BitsPerSample / 8;
        float scale = 1f / channels;
        if (BitConverter.IsLittleEndian && TryFastPath(data[..(int)(frames * frameBytes)], format, mono))
            return new AudioClip(mono, format.SampleRate, channels, AudioFormat.Wav);
        for (long f = 0; f < frames; f++)
        {
            var frame = data.Slice((int)(f * frameBytes), frameBytes);
            float sum = 0;
            for (int c = 0; c < channels; c++)
                sum += ReadSample(frame.Slice(c * bytes, bytes), format);
            mono[f] = channels == 1 ? sum : sum * scale;
        }
        return new AudioClip(mono, format.SampleRate, channels, AudioFormat.Wav);
    }

    /// <summary>Tight loops for the two most common encodings (16-bit PCM, float32) in mono or stereo.</summary>
    private static bool TryFastPath(ReadOnlySpan<byte> data, WavFormat format, Span<float> mono)
    {
        if (format.Channels > 2 || !(format.BitsPerSample == 16 || (format.IsFloat && format.BitsPerSample == 32)))
            return false;
        bool stereo = format.Channels == 2;
        if (format.IsFloat)
        {
            var f = MemoryMarshal.Cast<byte, float>(data);
            for (int i = 0; i < mono.Length; i++)
                mono[i] = stereo ? (f[2 * i] + f[2 * i + 1]) * 0.5f : f[i];
            return true;
        }
        var s = MemoryMarshal.Cast<byte, short>(data);
        const float scale = 1f / 32768f;
        for (int i = 0; i < mono.Length; i++)
            mono[i] = stereo ? (s[2 * i] * scale + s[2 * i + 1] * scale) * 0.5f : s[i] * scale;
        return true;
    }

    private static float ReadSample(ReadOnlySpan<byte> s, WavFormat format)
    {
        if (format.IsFloat)
        {
            return format.BitsPerSample == 32
                ? BinaryPrimitives.ReadSingleLittleEndian(s)
                : (float)BinaryPrimitives.ReadDoubleLittleEndian(s);
        }
        return format.BitsPerSample switch
        {
            8 => (s[0] - 128) / 128f,
            16 => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768f,
            24 => ((s[0] | (s[1] << 8) | (s[2] << 16)) << 8 >> 8) / 8388608f,
            _ => (float)(BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0),
        };
    }

    private static string Printable(ReadOnlySpan<byte> id)
    {
        Span<char> c = stackalloc char[id.Length];
        for (int i = 0; i < id.Length; i++)
            c[i] = id[i] is >= 0x20 and < 0x7F ? (char)id[i] : '?';
        return new string(c);
    }

    /// <summary>The validated contents of a 'fmt ' chunk.</summary>
    private sealed record WavFormat(int Channels, int SampleRate, int BitsPerSample, bool IsFloat)
    {
        public int BlockAlign => Channels * BitsPerSample / 8;

        public static WavFormat Parse(ReadOnlySpan<byte> chunk, DecodeOptions options)
        {
            if (chunk.Length < 16)
                throw new CorruptAudioException($"WAV 'fmt ' chunk is {chunk.Length} bytes; at least 16 are required.");
            ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(chunk);
            int channels = BinaryPrimitives.ReadUInt16LittleEndian(chunk[2..]);
            uint rate = BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            int bits = BinaryPrimitives.ReadUInt16LittleEndian(chunk[14..]);

            if (tag == FormatExtensible)
            {
                if (chunk.Length < 40)
                    throw new CorruptAudioException($"WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is {chunk.Length} bytes; 40 are required.");
                tag = BinaryPrimitives.ReadUInt16LittleEndian(chunk[24..]);
            }
            if (channels == 0)
                throw new CorruptAudioException("WAV header declares 0 channels.");
            if (channels > options.MaxChannels)
                throw new TooManyChannelsException($"WAV file has {channels} channels; the maximum is {options.MaxChannels}.");
            if (rate == 0)
                throw new CorruptAudioException("WAV header declares a sample rate of 0 Hz.");
            if (rate is < AudioLimits.MinSampleRate or > AudioLimits.MaxSampleRate)
                throw new UnsupportedAudioFormatException($"WAV sample rate {rate} Hz is outside the supported range {AudioLimits.MinSampleRate}-{AudioLimits.MaxSampleRate} Hz.");

            bool isFloat = tag switch
            {
                FormatPcm => false,
                FormatIeeeFloat => true,
                _ => throw new UnsupportedAudioFormatException($"WAV encoding 0x{tag:X4} ({EncodingName(tag)}) is not supported; use PCM or IEEE float."),
            };
            bool bitsOk = isFloat ? bits is 32 or 64 : bits is 8 or 16 or 24 or 32;
            if (!bitsOk)
                throw new UnsupportedAudioFormatException($"WAV {(isFloat ? "IEEE float" : "PCM")} with {bits} bits per sample is not supported.");
            return new WavFormat(channels, (int)rate, bits, isFloat);
        }

        private static string EncodingName(ushort tag) => tag switch
        {
            0x0002 => "Microsoft ADPCM",
            0x0006 => "A-law",
            0x0007 => "mu-law",
            0x0011 => "IMA ADPCM",
            0x0055 => "MPEG Layer 3",
            _ => "unknown",
        };
    }
}
