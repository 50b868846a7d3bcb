using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;

namespace AudioClassifier.Audio.Dsp;

/// <summary>
/// Band-limited resampling with torchaudio's default algorithm (<c>sinc_interp_hann</c>, lowpass filter width 6,
/// rolloff 0.99, output length ceil(new·len/orig)). Kernels are built once per rate pair, in float64 as torchaudio
/// does, with the taps that the Hann window zeroes trimmed away, and reused by every caller.
/// </summary>
public sealed class Resampler
{
    private const int LowpassFilterWidth = 6;
    private const double Rolloff = 0.99;
    private static readonly ConcurrentDictionary<(int, int), Resampler> Cache = new();

    private readonly int _orig;       // reduced by gcd
    private readonly int _new;        // reduced by gcd
    private readonly int _width;
    private readonly float[][] _phases;   // non-zero taps of each output phase
    private readonly int[] _phaseOffsets; // index into the zero-padded input of each phase's first tap

    private Resampler(int fromRate, int toRate)
    {
        int g = Gcd(fromRate, toRate);
        _orig = fromRate / g;
        _new = toRate / g;
        double baseFreq = Math.Min(_orig, _new) * Rolloff;
        _width = (int)Math.Ceiling(LowpassFilterWidth * _orig / baseFreq);
        int taps = 2 * _width + _orig;
        double scale = baseFreq / _orig;
        _phases = new float[_new][];
        _phaseOffsets = new int[_new];
        var row = new double[taps];
        for (int k = 0; k < _new; k++)
        {
            int first = -1, last = -1;
            for (int m = 0; m < taps; m++)
            {
                double t = (-(double)k / _new + (double)(m - _width) / _orig) * baseFreq;
                if (t <= -LowpassFilterWidth || t >= LowpassFilterWidth)
                {
                    row[m] = 0;
                    continue;
                }
                double window = Math.Cos(t * Math.PI / LowpassFilterWidth / 2);
                window *= window;
                double x = t * Math.PI;
                double sinc = x == 0 ? 1.0 : Math.Sin(x) / x;
                row[m] = sinc * window * scale;
                if (first < 0)
                    first = m;
                last = m;
            }
            _phaseOffsets[k] = first;
            _phases[k] = new float[last - first + 1];
            for (int m = first; m <= last; m++)
                _phases[k][m - first] = (float)row[m];
        }
    }

    /// <summary>The cached resampler for a pair of rates.</summary>
    public static Resampler For(int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(toRate, 1);
        return Cache.GetOrAdd((fromRate, toRate), static k => new Resampler(k.Item1, k.Item2));
    }

    /// <summary>Resamples mono audio; returns the input unchanged when the rates are equal.</summary>
    public static float[] Resample(float[] samples, int fromRate, int toRate) =>
        fromRate == toRate ? samples : For(fromRate, toRate).Process(samples);

    /// <summary>Output length torchaudio produces for an input of <paramref name="inputLength"/> samples.</summary>
    public long OutputLength(long inputLength) => (_new * inputLength + _orig - 1) / _orig;

    /// <summary>Resamples one channel.</summary>
    public float[] Process(ReadOnlySpan<float> input)
    {
        var output = new float[OutputLength(input.Length)];
        Process(input, output);
        return output;
    }

    /// <summary>Resamples one channel into <paramref name="output"/>, which must hold <see cref="OutputLength"/> samples.</summary>
    public void Process(ReadOnlySpan<float> input, Span<float> output)
    {
        long expected = OutputLength(input.Length);
        if (output.Length != expected)
            throw new ArgumentException($"Output must hold {expected} samples.", nameof(output));
        // Zero-pad as torchaudio does: width before, width + orig after.
        int paddedLength = input.Length + 2 * _width + _orig;
        var padded = System.Buffers.ArrayPool<float>.Shared.Rent(paddedLength);
        try
        {
            var p = padded.AsSpan(0, paddedLength);
            p[.._width].Clear();
            input.CopyTo(p[_width..]);
            p[(_width + input.Length)..].Clear();
            for (int o = 0; o < output.Length; o++)
            {
                int block = o / _new, phase = o - block * _new;
                var taps = _phases[phase];
                output[o] = Dot(p.Slice(block * _orig + _phaseOffsets[phase], taps.Length), taps);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(padded);
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            for (int v = 0; v < va.Length; v++)
                acc += va[v] * vb[v];
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }
}
