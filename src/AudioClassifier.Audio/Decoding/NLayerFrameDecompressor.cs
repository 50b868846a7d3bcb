using NAudio.Wave;
using NLayer;

namespace AudioClassifier.Audio.Decoding;

/// <summary>
/// Managed MP3 frame decompressor for NAudio's <see cref="Mp3FileReaderBase"/>: NAudio's default uses Windows ACM,
/// which does not exist on Linux. Produces interleaved IEEE float samples.
/// </summary>
internal sealed class NLayerFrameDecompressor(WaveFormat sourceFormat) : IMp3FrameDecompressor
{
    private readonly MpegFrameDecoder _decoder = new();
    private readonly NLayerFrameAdapter _frame = new();

    public WaveFormat OutputFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(sourceFormat.SampleRate, sourceFormat.Channels);

    public int DecompressFrame(Mp3Frame frame, byte[] dest, int destOffset) => DecompressFrame(frame, dest.AsSpan(destOffset));

    public int DecompressFrame(Mp3Frame frame, Span<byte> dest)
    {
        _frame.Wrap(frame);
        return _decoder.DecodeFrame(_frame, dest);
    }

    public void Reset() => _decoder.Reset();

    public void Dispose()
    {
    }
}
