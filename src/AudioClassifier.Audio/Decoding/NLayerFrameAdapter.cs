using NAudio.Wave;
using NLayer;

namespace AudioClassifier.Audio.Decoding;

/// <summary>Presents an NAudio <see cref="Mp3Frame"/> to NLayer's decoder as an <see cref="IMpegFrame"/> bit reader.</summary>
internal sealed class NLayerFrameAdapter : IMpegFrame
{
    private Mp3Frame _frame = null!;
    private int _readOffset;
    private int _bitsInBucket;
    private ulong _bitBucket;

    public void Wrap(Mp3Frame frame)
    {
        _frame = frame;
        Reset();
    }

    public int SampleRate => _frame.SampleRate;
    public int SampleRateIndex => (_frame.RawData![2] >> 2) & 3;
    public int FrameLength => _frame.FrameLength;
    public int BitRate => _frame.BitRate;
    public int ChannelModeExtension => _frame.ChannelExtension;
    public int SampleCount => _frame.SampleCount;
    public int BitRateIndex => _frame.BitRateIndex;
    public bool IsCopyrighted => _frame.Copyright;
    public bool HasCrc => _frame.CrcPresent;
    public bool IsCorrupted => false;

    public NLayer.MpegVersion Version => _frame.MpegVersion switch
    {
        NAudio.Wave.MpegVersion.Version1 => NLayer.MpegVersion.Version1,
        NAudio.Wave.MpegVersion.Version2 => NLayer.MpegVersion.Version2,
        NAudio.Wave.MpegVersion.Version25 => NLayer.MpegVersion.Version25,
        _ => NLayer.MpegVersion.Unknown,
    };

    public NLayer.MpegLayer Layer => _frame.MpegLayer switch
    {
        NAudio.Wave.MpegLayer.Layer1 => NLayer.MpegLayer.LayerI,
        NAudio.Wave.MpegLayer.Layer2 => NLayer.MpegLayer.LayerII,
        NAudio.Wave.MpegLayer.Layer3 => NLayer.MpegLayer.LayerIII,
        _ => NLayer.MpegLayer.Unknown,
    };

    public MpegChannelMode ChannelMode => _frame.ChannelMode switch
    {
        NAudio.Wave.ChannelMode.Stereo => MpegChannelMode.Stereo,
        NAudio.Wave.ChannelMode.JointStereo => MpegChannelMode.JointStereo,
        NAudio.Wave.ChannelMode.DualChannel => MpegChannelMode.DualChannel,
        _ => MpegChannelMode.Mono,
    };

    public void Reset()
    {
        _readOffset = _frame.CrcPresent ? 6 : 4;
        _bitsInBucket = 0;
        _bitBucket = 0;
    }

    public int ReadBits(int bitCount)
    {
        if (bitCount is < 1 or > 32)
            throw new ArgumentOutOfRangeException(nameof(bitCount));
        var raw = _frame.RawData ?? [];
        int end = Math.Min(_frame.FrameLength, raw.Length);
        while (_bitsInBucket < bitCount)
        {
            if (_readOffset >= end)
                throw new EndOfStreamException("MPEG frame ended before its declared bits were read.");
            _bitBucket = (_bitBucket << 8) | raw[_readOffset++];
            _bitsInBucket += 8;
        }
        int value = (int)((_bitBucket >> (_bitsInBucket - bitCount)) & ((1UL << bitCount) - 1));
        _bitsInBucket -= bitCount;
        return value;
    }
}
