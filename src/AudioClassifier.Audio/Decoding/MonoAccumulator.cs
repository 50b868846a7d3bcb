namespace AudioClassifier.Audio.Decoding;

/// <summary>
/// Collects interleaved decoded samples as their channel mean, growing its buffer only as real samples arrive and
/// never beyond the duration limit, so memory is bounded by actual data rather than by what a header claims.
/// </summary>
internal sealed class MonoAccumulator
{
    private readonly int _channels;
    private readonly long _maxFrames;
    private readonly TimeSpan _maxDuration;
    private readonly int _sampleRate;
    private float[] _buffer;
    private int _count;

    /// <param name="slack">Decoded beyond the limit before a decoder trims its padding (and checks the limit itself).</param>
    public MonoAccumulator(int sampleRate, int channels, DecodeOptions options, long expectedFrames = 0, TimeSpan slack = default)
    {
        _sampleRate = sampleRate;
        _channels = channels;
        _maxDuration = options.MaxDuration;
        _maxFrames = (long)Math.Ceiling((options.MaxDuration + slack).TotalSeconds * sampleRate);
        long initial = Math.Clamp(expectedFrames, 4096, Math.Min(_maxFrames, Array.MaxLength));
        _buffer = new float[Math.Min(initial, _maxFrames + 1)];
    }

    public int Count => _count;

    /// <summary>Adds whole interleaved frames; a trailing partial frame is ignored.</summary>
    public void Append(ReadOnlySpan<float> interleaved)
    {
        int frames = interleaved.Length / _channels;
        if (frames == 0)
            return;
        EnsureCapacity(frames);
        var dst = _buffer.AsSpan(_count, frames);
        if (_channels == 1)
        {
            interleaved[..frames].CopyTo(dst);
        }
        else
        {
            float scale = 1f / _channels;
            for (int f = 0, s = 0; f < frames; f++)
            {
                float sum = 0;
                for (int c = 0; c < _channels; c++)
                    sum += interleaved[s++];
                dst[f] = sum * scale;
            }
        }
        _count += frames;
    }

    public float[] ToArray()
    {
        if (_count == _buffer.Length)
            return _buffer;
        return _buffer.AsSpan(0, _count).ToArray();
    }

    private void EnsureCapacity(int frames)
    {
        long needed = (long)_count + frames;
        if (needed > _maxFrames)
            throw new AudioTooLongException(
                $"Audio is longer than the maximum of {_maxDuration.TotalSeconds:0.###} s (more than {Math.Ceiling(_maxDuration.TotalSeconds * _sampleRate)} samples at {_sampleRate} Hz).",
                exceedsDuration: true);
        if (needed <= _buffer.Length)
            return;
        long grown = Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Math.Min(_maxFrames, Array.MaxLength));
        Array.Resize(ref _buffer, (int)grown);
    }
}
