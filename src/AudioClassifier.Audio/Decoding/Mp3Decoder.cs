using System.Runtime.InteropServices;
using NAudio.Wave;

namespace AudioClassifier.Audio.Decoding;

/// <summary>MP3 decoding through NAudio's frame reader with NLayer as the (managed, cross-platform) decompressor.</summary>
internal static class Mp3Decoder
{
    public static AudioClip Decode(byte[] buffer, int offset, int length, DecodeOptions options, CancellationToken cancellationToken)
    {
        CheckId3Tag(buffer.AsSpan(offset, length));
        using var stream = new MemoryStream(buffer, offset, length, writable: false);
        Mp3FileReaderBase reader;
        try
        {
            reader = new Mp3FileReaderBase(stream, format => new NLayerFrameDecompressor(format));
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new CorruptAudioException($"MP3 data is corrupt or truncated: {DecoderFailures.Describe(e)}.", e);
        }

        using (reader)
        {
            var format = reader.WaveFormat;
            if (format.Channels < 1)
                throw new CorruptAudioException("MP3 stream declares no channels.");
            if (format.Channels > options.MaxChannels)
                throw new TooManyChannelsException($"MP3 stream has {format.Channels} channels; the maximum is {options.MaxChannels}.");
            if (format.SampleRate is < AudioLimits.MinSampleRate or > AudioLimits.MaxSampleRate)
                throw new CorruptAudioException($"MP3 stream declares an invalid sample rate of {format.SampleRate} Hz.");

            // The decoded stream is longer than the audio by the encoder's delay and padding (trimmed below), so the
            // length limit applies after the trim: a 600 s MP3 made from a 600 s WAV must pass like the WAV does.
            var mono = new MonoAccumulator(format.SampleRate, format.Channels, options, slack: EncoderSlack);
            var chunk = new float[16384 * format.Channels];
            var bytes = MemoryMarshal.AsBytes(chunk.AsSpan());
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read;
                try
                {
                    read = reader.Read(bytes);
                }
                catch (Exception e) when (IsDecoderFailure(e))
                {
                    throw new CorruptAudioException($"MP3 data is corrupt {(double)mono.Count / format.SampleRate:0.###} s into the audio: {DecoderFailures.Describe(e)}.", e);
                }
                if (read <= 0)
                    break;
                mono.Append(chunk.AsSpan(0, read / sizeof(float))); // ours: a failure here is a defect, not bad audio
            }
            var samples = Trim(mono.ToArray(), LameGaplessInfo.Find(buffer.AsSpan(offset, length)));
            if (samples.Length == 0)
                throw new EmptyAudioException("MP3 stream decodes to no samples.");
            double seconds = (double)samples.Length / format.SampleRate;
            if (seconds > (options.MaxDuration + UntrimmedTolerance).TotalSeconds)
                throw AudioTooLongException.Duration(seconds, options.MaxDuration);
            return new AudioClip(samples, format.SampleRate, format.Channels, AudioFormat.Mp3);
        }
    }

    /// <summary>Decoded beyond the limit before the gapless trim: more than any encoder's delay and padding.</summary>
    private static readonly TimeSpan EncoderSlack = TimeSpan.FromSeconds(1);

    /// <summary>Allowed over the limit after the trim: an MP3 without a LAME tag keeps its decoder delay (~50 ms).</summary>
    private static readonly TimeSpan UntrimmedTolerance = TimeSpan.FromMilliseconds(100);

    // NAudio's frame reader and NLayer's decoder throw runtime exceptions on corrupt frames; our adapter between them
    // (NLayerFrameDecompressor) does not count as theirs.
    private static bool IsDecoderFailure(Exception e) =>
        DecoderFailures.IsBadData(e, typeof(NLayerFrameDecompressor), typeof(NLayerFrameAdapter));

    /// <summary>Drops encoder delay and padding when the LAME tag declares them (gapless decoding).</summary>
    private static float[] Trim(float[] samples, LameGaplessInfo? gapless)
    {
        if (gapless is not { } g || g.Skip >= samples.Length)
            return samples;
        long keep = Math.Min(g.Length, samples.Length - g.Skip);
        return samples.AsSpan(g.Skip, (int)keep).ToArray();
    }

    /// <summary>Refuses an ID3v2 tag whose declared size exceeds the file, before NAudio allocates a buffer of that size.</summary>
    private static void CheckId3Tag(ReadOnlySpan<byte> file)
    {
        if (!file.StartsWith("ID3"u8))
            return;
        if (file.Length < 10)
            throw new CorruptAudioException($"MP3 file is truncated inside its 10-byte ID3v2 header ({file.Length} bytes).");
        for (int i = 6; i < 10; i++)
        {
            if (file[i] >= 0x80)
                throw new CorruptAudioException("MP3 ID3v2 tag size is not a valid synch-safe integer.");
        }
        int size = (file[6] << 21) | (file[7] << 14) | (file[8] << 7) | file[9];
        bool footer = (file[5] & 0x10) != 0;
        long total = 10L + size + (footer ? 10 : 0);
        if (total >= file.Length)
            throw new CorruptAudioException($"MP3 ID3v2 tag declares {size} bytes but the file has only {file.Length - 10} after its header, leaving no audio (file truncated?).");
    }
}
