using NVorbis;

namespace AudioClassifier.Audio.Decoding;

/// <summary>Ogg Vorbis decoding through NVorbis, reading until the real end of the stream rather than its claimed length.</summary>
internal static class VorbisDecoder
{
    public static AudioClip Decode(byte[] buffer, int offset, int length, DecodeOptions options)
    {
        using var stream = new MemoryStream(buffer, offset, length, writable: false);
        VorbisReader reader;
        try
        {
            reader = new VorbisReader(stream, closeOnDispose: false);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new CorruptAudioException($"Ogg Vorbis data is corrupt or truncated: {e.Message}", e);
        }

        using (reader)
        {
            int channels = reader.Channels, rate = reader.SampleRate;
            if (channels < 1)
                throw new CorruptAudioException("Ogg Vorbis stream declares 0 channels.");
            if (channels > options.MaxChannels)
                throw new TooManyChannelsException($"Ogg Vorbis stream has {channels} channels; the maximum is {options.MaxChannels}.");
            if (rate is < AudioLimits.MinSampleRate or > AudioLimits.MaxSampleRate)
                throw new CorruptAudioException($"Ogg Vorbis stream declares an invalid sample rate of {rate} Hz.");

            var mono = new MonoAccumulator(rate, channels, options);
            var chunk = new float[8192 * channels];
            while (true)
            {
                int read;
                try
                {
                    read = reader.ReadSamples(chunk, 0, chunk.Length);
                }
                catch (Exception e) when (IsDecoderFailure(e))
                {
                    throw new CorruptAudioException($"Ogg Vorbis data is corrupt: {e.Message}", e);
                }
                if (read <= 0)
                    break;
                mono.Append(chunk.AsSpan(0, read)); // ours: a failure here is a defect, not bad audio
            }
            if (mono.Count == 0)
                throw new EmptyAudioException("Ogg Vorbis stream decodes to no samples.");
            return new AudioClip(mono.ToArray(), rate, channels, AudioFormat.OggVorbis);
        }
    }

    private static bool IsDecoderFailure(Exception e) => DecoderFailures.IsBadData(e);
}
