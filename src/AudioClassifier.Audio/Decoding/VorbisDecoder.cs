using NVorbis;

namespace AudioClassifier.Audio.Decoding;

/// <summary>Ogg Vorbis decoding through NVorbis, reading until the real end of the stream rather than its claimed length.</summary>
internal static class VorbisDecoder
{
    public static AudioClip Decode(byte[] buffer, int offset, int length, DecodeOptions options, CancellationToken cancellationToken)
    {
        CheckIdentificationHeader(buffer.AsSpan(offset, length));
        var (pages, lastGranule) = WithoutEndOfStreamFlags(buffer.AsSpan(offset, length));
        using var stream = new MemoryStream(pages, writable: false);
        VorbisReader reader;
        try
        {
            reader = new VorbisReader(stream, closeOnDispose: false);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new CorruptAudioException($"Ogg Vorbis data is corrupt or truncated: {DecoderFailures.Describe(e)}.", e);
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

            // Decoded without end-of-stream flags, the stream runs on by the last block's padding until the trim to
            // the last granule position below, so the length limit applies after that trim.
            var mono = new MonoAccumulator(rate, channels, options, slack: TimeSpan.FromSeconds(1));
            var chunk = new float[8192 * channels];
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read;
                try
                {
                    read = reader.ReadSamples(chunk, 0, chunk.Length);
                }
                catch (Exception e) when (IsDecoderFailure(e))
                {
                    throw new CorruptAudioException($"Ogg Vorbis data is corrupt {(double)mono.Count / rate:0.###} s into the audio: {DecoderFailures.Describe(e)}.", e);
                }
                if (read <= 0)
                    break;
                mono.Append(chunk.AsSpan(0, read)); // ours: a failure here is a defect, not bad audio
            }
            if (mono.Count == 0 && lastGranule > 0)
                throw new CorruptAudioException($"Ogg Vorbis data is corrupt: its pages claim {(double)lastGranule / rate:0.###} s of audio but none of it decodes.");
            if (mono.Count == 0)
                throw new EmptyAudioException("Ogg Vorbis stream decodes to no samples.");
            // What NVorbis does at an end-of-stream page, done here: the last granule position ends the audio (the
            // encoder's padding of the last block is dropped).
            int samples = lastGranule > 0 && lastGranule < mono.Count ? (int)lastGranule : mono.Count;
            // Without a granule position the padding stays (at most one block, ~50 ms): tolerated like an MP3's.
            if ((double)samples / rate > options.MaxDuration.TotalSeconds + (samples == mono.Count ? 0.1 : 0))
                throw AudioTooLongException.Duration((double)samples / rate, options.MaxDuration);
            if (samples < mono.Count)
                return new AudioClip(mono.ToArray().AsSpan(0, samples).ToArray(), rate, channels, AudioFormat.OggVorbis);
            return new AudioClip(mono.ToArray(), rate, channels, AudioFormat.OggVorbis);
        }
    }

    /// <summary>
    /// Checks the Vorbis identification header (the first packet of the first Ogg page) against the specification
    /// before NVorbis sees it: NVorbis accepts block sizes outside 64–8192 and then decodes for ever (found by
    /// <c>StructuredFuzzTests</c>: a real clip relabelled 8 channels with block sizes 8/32768 never returned).
    /// </summary>
    private static void CheckIdentificationHeader(ReadOnlySpan<byte> file)
    {
        if (file.Length < 27 || !file.StartsWith("OggS"u8))
            throw new CorruptAudioException("Ogg stream does not start with an Ogg page.");
        int segments = file[26];
        int packet = 27 + segments;
        if (segments == 0 || file.Length < packet + 30)
            throw new CorruptAudioException("Ogg stream is truncated inside its first page (no complete Vorbis identification header).");
        var id = file.Slice(packet, 30);
        if (id[0] != 1 || !id[1..7].SequenceEqual("vorbis"u8))
            throw new UnsupportedAudioFormatException("The Ogg stream's first packet is not a Vorbis identification header (only Ogg Vorbis is supported).");
        uint version = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(id[7..]);
        int channels = id[11];
        uint rate = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(id[12..]);
        int small = id[28] & 0x0F, large = id[28] >> 4;
        if (version != 0)
            throw new CorruptAudioException($"Vorbis identification header declares version {version}; only version 0 exists.");
        if (channels == 0)
            throw new CorruptAudioException("Vorbis identification header declares 0 channels.");
        if (rate == 0)
            throw new CorruptAudioException("Vorbis identification header declares a sample rate of 0 Hz.");
        if (small < 6 || large > 13 || small > large)
            throw new CorruptAudioException($"Vorbis identification header declares block sizes {1 << small} and {1 << large}; they must be powers of two from 64 to 8192, the first not larger than the second.");
        if ((id[29] & 1) == 0)
            throw new CorruptAudioException("Vorbis identification header has no framing bit.");
    }

    /// <summary>
    /// A copy of the stream with the end-of-stream flag of every page cleared (and its CRC fixed), and the granule
    /// position of the last complete page. NVorbis trims the last packet to an end-of-stream page's granule position
    /// and, when that position is earlier than the packet's start (a lying or inconsistent stream), then loops for ever
    /// inside <c>ReadSamples</c> (found by <c>StructuredFuzzTests</c>); without the flag it decodes to the end and the
    /// caller trims to the granule position itself.
    /// </summary>
    private static (byte[] Pages, long LastGranule) WithoutEndOfStreamFlags(ReadOnlySpan<byte> file)
    {
        var bytes = file.ToArray();
        long last = -1;
        int at = 0;
        while (at + 27 <= bytes.Length && bytes.AsSpan(at, 4).SequenceEqual("OggS"u8))
        {
            int segments = bytes[at + 26];
            if (at + 27 + segments > bytes.Length)
                break;
            int body = 0;
            foreach (byte lacing in bytes.AsSpan(at + 27, segments))
                body += lacing;
            int pageLength = 27 + segments + body;
            if (at + pageLength > bytes.Length)
                break;
            long granule = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 6));
            if (granule >= 0)
                last = granule;
            if ((bytes[at + 5] & 0x04) != 0)
            {
                bytes[at + 5] &= 0xFB;
                var page = bytes.AsSpan(at, pageLength);
                page[22..26].Clear();
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(page[22..], OggCrc(page));
            }
            at += pageLength;
        }
        return (bytes, last);
    }

    // Ogg's page checksum: CRC-32 with polynomial 0x04C11DB7, not reflected, initial value 0.
    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(i =>
    {
        uint r = (uint)i << 24;
        for (int k = 0; k < 8; k++)
            r = (r & 0x80000000) != 0 ? r << 1 ^ 0x04C11DB7 : r << 1;
        return r;
    }).ToArray();

    private static uint OggCrc(ReadOnlySpan<byte> page)
    {
        uint crc = 0;
        foreach (byte b in page)
            crc = crc << 8 ^ CrcTable[(crc >> 24) ^ b];
        return crc;
    }

    private static bool IsDecoderFailure(Exception e) => DecoderFailures.IsBadData(e);
}
