using System.Buffers;
using System.Collections.Concurrent;
using AudioClassifier.Audio.Dsp;

namespace AudioClassifier.Audio.Features;

/// <summary>
/// Turns mono audio already at the spec's sample rate into the fixed-size log-mel matrix. Window, FFT plan and
/// filterbank are built once per <see cref="FeatureSpec"/> (see <see cref="For"/>); each call rents its scratch
/// buffers once, so there are no per-frame allocations and one instance serves any number of threads.
/// </summary>
public sealed class LogMelExtractor
{
    private const float AminPower = 1e-10f;
    private static readonly ConcurrentDictionary<FeatureSpec, LogMelExtractor> Cache = new();

    private readonly float[] _window; // periodic Hann of win_length, centred in n_fft
    private readonly PowerSpectrum _power;
    private readonly MelFilterBank _mel;

    private LogMelExtractor(FeatureSpec spec)
    {
        Spec = spec.Validate();
        _window = new float[spec.NFft];
        int offset = (spec.NFft - spec.WinLength) / 2;
        for (int i = 0; i < spec.WinLength; i++)
            _window[offset + i] = (float)(0.5 - 0.5 * Math.Cos(2.0 * Math.PI * i / spec.WinLength));
        _power = new PowerSpectrum(spec.NFft);
        _mel = new MelFilterBank(spec.FrequencyBins, spec.FMin, spec.FMax, spec.NMels, spec.SampleRate);
    }

    /// <summary>The spec this extractor computes.</summary>
    public FeatureSpec Spec { get; }

    /// <summary>The shared extractor for a spec (created on first use).</summary>
    public static LogMelExtractor For(FeatureSpec spec) => Cache.GetOrAdd(spec, static s => new LogMelExtractor(s));

    /// <summary>STFT frames torch produces for <paramref name="samples"/> samples with centred frames.</summary>
    public int NaturalFrames(int samples) => 1 + (samples + 2 * (Spec.NFft / 2) - Spec.NFft) / Spec.HopLength;

    /// <summary>Computes the [n_mels, frames] matrix.</summary>
    public LogMel Compute(ReadOnlySpan<float> samples)
    {
        var data = new float[Spec.NMels * Spec.Frames];
        Compute(samples, data);
        return new LogMel(data, Spec.NMels, Spec.Frames);
    }

    /// <summary>Computes the matrix into <paramref name="destination"/> (n_mels × frames floats, row-major).</summary>
    public void Compute(ReadOnlySpan<float> samples, Span<float> destination)
    {
        var spec = Spec;
        if (destination.Length != spec.NMels * spec.Frames)
            throw new ArgumentException($"Destination must hold {spec.NMels * spec.Frames} floats.", nameof(destination));
        if (samples.IsEmpty)
            throw new ArgumentException("At least one sample is required.", nameof(samples));

        int pad = spec.NFft / 2;
        // torch's reflect padding needs more samples than the pad; a shorter clip is first extended with silence.
        int length = Math.Max(samples.Length, pad + 1);
        int naturalFrames = NaturalFrames(length);
        int keptFrames = Math.Min(naturalFrames, spec.Frames);
        int computedFrames = spec.TopDb is null ? keptFrames : naturalFrames;

        int paddedLength = length + 2 * pad;
        var pool = ArrayPool<float>.Shared;
        var padded = pool.Rent(paddedLength);
        var frame = pool.Rent(spec.NFft);
        var power = pool.Rent(spec.FrequencyBins);
        var scratch = pool.Rent(_power.ScratchLength);
        var mel = pool.Rent(spec.NMels);
        try
        {
            var x = padded.AsSpan(0, paddedLength);
            ReflectPad(samples, length, pad, x);
            float maxPower = AminPower;
            destination.Clear();
            for (int t = 0; t < computedFrames; t++)
            {
                var src = x.Slice(t * spec.HopLength, spec.NFft);
                var f = frame.AsSpan(0, spec.NFft);
                for (int i = 0; i < f.Length; i++)
                    f[i] = src[i] * _window[i];
                _power.Compute(f, power, scratch);
                _mel.Apply(power, mel);
                for (int m = 0; m < spec.NMels; m++)
                {
                    float e = mel[m];
                    if (e > maxPower)
                        maxPower = e;
                    if (t < keptFrames)
                        destination[m * spec.Frames + t] = e;
                }
            }
            ToDecibels(destination, keptFrames, spec, maxPower);
        }
        finally
        {
            pool.Return(padded);
            pool.Return(frame);
            pool.Return(power);
            pool.Return(scratch);
            pool.Return(mel);
        }
    }

    private static void ReflectPad(ReadOnlySpan<float> samples, int length, int pad, Span<float> x)
    {
        var body = x.Slice(pad, length);
        samples.CopyTo(body);
        body[samples.Length..].Clear();
        for (int i = 0; i < pad; i++)
        {
            x[pad - 1 - i] = body[i + 1];
            x[pad + length + i] = body[length - 2 - i];
        }
    }

    private static void ToDecibels(Span<float> data, int keptFrames, FeatureSpec spec, float maxPower)
    {
        float floor = spec.TopDb is { } topDb ? (float)(10.0 * Math.Log10(maxPower) - topDb) : float.NegativeInfinity;
        for (int m = 0; m < spec.NMels; m++)
        {
            var row = data.Slice(m * spec.Frames, keptFrames);
            for (int t = 0; t < row.Length; t++)
            {
                float db = 10f * MathF.Log10(MathF.Max(row[t], AminPower));
                row[t] = db < floor ? floor : db;
            }
        }
    }
}
