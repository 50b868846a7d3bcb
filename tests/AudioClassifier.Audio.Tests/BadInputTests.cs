using System.Diagnostics;
using AudioClassifier.Audio.Decoding;

namespace AudioClassifier.Audio.Tests;

/// <summary>
/// Damaged, empty, mislabelled and lying inputs fail with the right typed error, quickly, and without allocating
/// memory in proportion to what a header claims.
/// </summary>
public class BadInputTests
{
    private const long AllocationBudget = 4 * 1024 * 1024;
    private static readonly byte[] GoodWav = WavBuilder.Pcm16(WavBuilder.Sine(16000, 1.0, 440), 16000, 1);
    private static readonly byte[] GoodOgg = File.ReadAllBytes(Directory.GetFiles(SharedData.Path("datasets", "esc10"), "*.ogg", SearchOption.AllDirectories).Order().First());

    [Fact]
    public void EmptyInput() => Expect<EmptyAudioException>([], "empty");

    [Fact]
    public void WavWithEmptyDataChunk() =>
        Expect<EmptyAudioException>(WavBuilder.Build(1, 1, 16000, 16, []), "no complete sample frames");

    [Theory]
    [InlineData(new byte[] { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 }, "Unrecognised")]
    [InlineData(new byte[] { (byte)'f', (byte)'L', (byte)'a', (byte)'C', 0, 0, 0, 34 }, "FLAC")]
    [InlineData(new byte[] { 0, 0, 0, 0x20, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'M', (byte)'4', (byte)'A' }, "MP4")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'A', (byte)'V', (byte)'I', (byte)' ' }, "AVI")]
    [InlineData(new byte[] { 0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC }, "AAC")]
    public void WrongMagicIsUnsupported(byte[] bytes, string mentions) => Expect<UnsupportedAudioFormatException>(bytes, mentions);

    [Fact]
    public void TextWithAudioExtensionIsUnsupported() =>
        Expect<UnsupportedAudioFormatException>("<html>not audio</html>"u8.ToArray(), "Unrecognised");

    [Fact]
    public void OggOpusIsUnsupported()
    {
        var bytes = GoodOgg[..64].ToArray();
        "OpusHead"u8.CopyTo(bytes.AsSpan(28));
        Expect<UnsupportedAudioFormatException>(bytes, "Opus");
    }

    [Fact]
    public void AdpcmWavIsUnsupported() =>
        Expect<UnsupportedAudioFormatException>(WavBuilder.Build(2, 1, 16000, 4, new byte[100]), "ADPCM");

    [Fact]
    public void TwelveBitPcmIsUnsupported() =>
        Expect<UnsupportedAudioFormatException>(WavBuilder.Build(1, 1, 16000, 12, new byte[100]), "12 bits");

    [Fact]
    public void ZeroChannels() => Expect<CorruptAudioException>(WavBuilder.Build(1, 0, 16000, 16, new byte[100]), "0 channels");

    [Fact]
    public void ZeroSampleRate() => Expect<CorruptAudioException>(WavBuilder.Build(1, 1, 0, 16, new byte[100]), "0 Hz");

    [Fact]
    public void TooManyChannels() =>
        Expect<TooManyChannelsException>(WavBuilder.Build(1, 16, 16000, 16, new byte[320]), "16 channels");

    [Fact]
    public void TruncatedRiffHeader() => Expect<CorruptAudioException>(GoodWav[..10], "RIFF");

    [Fact]
    public void TruncatedInsideFmtChunk() => Expect<CorruptAudioException>(GoodWav[..30], "fmt");

    [Fact]
    public void TruncatedInsideData() => Expect<CorruptAudioException>(GoodWav[..(GoodWav.Length / 2)], "truncated");

    [Fact]
    public void NoDataChunk() => Expect<CorruptAudioException>(GoodWav[..36], "no 'data' chunk");

    [Fact]
    public void LyingDataSize() =>
        Expect<CorruptAudioException>(WavBuilder.Build(1, 2, 48000, 16, new byte[400], declaredDataSize: 0x7FFFFFF0), "declares 2147483632 bytes");

    [Fact]
    public void LyingUnknownChunkSize()
    {
        var chunk = new byte[12];
        "LIST"u8.CopyTo(chunk);
        BitConverter.GetBytes(0xFFFFFFF0u).CopyTo(chunk, 4);
        Expect<CorruptAudioException>(WavBuilder.Build(1, 1, 16000, 16, new byte[100], extraChunk: chunk), "LIST");
    }

    [Fact]
    public void LyingRiffSizeIsHarmless()
    {
        var wav = GoodWav.ToArray();
        BitConverter.GetBytes(0xFFFFFFF0u).CopyTo(wav, 4);
        Assert.Equal(16000, AudioDecoder.Decode(wav).Samples.Length);
    }

    [Fact]
    public void StreamingWavWithUnknownDataSizeReadsToEnd()
    {
        var wav = WavBuilder.Build(1, 1, 16000, 16, new byte[3200], declaredDataSize: 0xFFFFFFFF);
        Assert.Equal(1600, AudioDecoder.Decode(wav).Samples.Length);
    }

    [Fact]
    public void TooLongWavIsRefusedBeforeConverting()
    {
        var options = new DecodeOptions { MaxDuration = TimeSpan.FromSeconds(0.5) };
        Expect<AudioTooLongException>(GoodWav, "maximum is 0.5 s", options);
    }

    [Fact]
    public void TooLongOggIsRefused()
    {
        var options = new DecodeOptions { MaxDuration = TimeSpan.FromSeconds(1) };
        Expect<AudioTooLongException>(GoodOgg, "maximum of 1 s", options);
    }

    [Fact]
    public void InputOverByteLimitIsRefusedWhileReading()
    {
        var options = new DecodeOptions { MaxInputBytes = 1000 };
        using var stream = new NonSeekableStream(GoodWav);
        var e = Assert.Throws<AudioTooLongException>(() => AudioDecoder.Decode(stream, options));
        Assert.Contains("1000 bytes", e.Message);
    }

    [Fact]
    public void TruncatedOgg() => Expect<CorruptAudioException>(GoodOgg[..200], "Ogg");

    [Fact]
    public void OggWithGarbageAfterTheHeaderPage()
    {
        var bytes = GoodOgg[..4096].ToArray();
        new Random(7).NextBytes(bytes.AsSpan(100));
        Expect<CorruptAudioException>(bytes, "Ogg");
    }

    [Fact]
    public void OggWhosePagesClaimAudioThatNoneOfDecodesIsCorruptNotEmpty()
    {
        // A new user's damaged rooster (14 kB zeroed from byte 14385) was answered "decodes to no samples" (422), as
        // an empty clip would be; its pages hold 5 s, so it is corrupt data (400).
        var bytes = File.ReadAllBytes(SharedData.Path("datasets", "esc10", "009 - Rooster", "1-26806-A.ogg"));
        bytes.AsSpan(14385, 14386).Clear();
        Expect<CorruptAudioException>(bytes, "none of it decodes");
    }

    [Fact]
    public void TruncatedMp3FrameHeader() => Expect<CorruptAudioException>([0xFF, 0xFB, 0x90, 0x64, 0x00], "MP3");

    [Fact]
    public void Id3TagLyingAboutItsSize()
    {
        var bytes = new byte[64];
        "ID3"u8.CopyTo(bytes);
        bytes[3] = 4;
        bytes[6] = 0x7F; bytes[7] = 0x7F; bytes[8] = 0x7F; bytes[9] = 0x7F; // 256 MiB
        Expect<CorruptAudioException>(bytes, "ID3v2 tag declares 268435455 bytes");
    }

    [Fact]
    public void Id3TagFollowedByNoFrames()
    {
        var bytes = new byte[4096];
        "ID3"u8.CopyTo(bytes);
        bytes[3] = 4;
        bytes[9] = 10;
        Expect<CorruptAudioException>(bytes, "MP3");
    }

    /// <summary>Asserts the typed error, its message, a time bound and an allocation bound.</summary>
    private static void Expect<T>(byte[] input, string messagePart, DecodeOptions? options = null) where T : AudioDecodeException
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var e = Assert.ThrowsAny<T>(() => AudioDecoder.Decode(input, options));
        watch.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(messagePart, e.Message, StringComparison.OrdinalIgnoreCase);
        // A hang detector (an odd rate once cost 23 s of CPU): 10 s leaves room for a slow machine's cold decoders.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.True(allocated < AllocationBudget + 4L * input.Length, $"allocated {allocated} bytes");
    }

    /// <summary>A network-like stream: no length, no seeking.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
