using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
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
    private readonly BatchedPowerSpectrum? _batched;
    private readonly MelFilterBank _mel;

    private LogMelExtractor(FeatureSpec spec)
    {
        Spec = spec.Validate();
        _window = new float[spec.NFft];
        int offset = (spec.NFft - spec.WinLength) / 2;
        for (int i = 0; i < spec.WinLength; i++)
            _window[offset + i] = (float)(0.5 - 0.5 * Math.Cos(2.0 * Math.PI * i / spec.WinLength));
        _power = new PowerSpectrum(spec.NFft);
        _batched = BatchedPowerSpectrum.TryCreate(spec.NFft);
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

    /// <summary>
    /// The uncropped matrix [n_mels, natural frames] (no padding). Cropping it at frame 0 to <see cref="FeatureSpec.Frames"/>
    /// gives exactly <see cref="Compute(ReadOnlySpan{float})"/>; training uses it to crop at other offsets.
    /// </summary>
    public LogMel ComputeNatural(ReadOnlySpan<float> samples)
    {
        int frames = NaturalFrames(Math.Max(samples.Length, Spec.NFft / 2 + 1));
        var data = new float[Spec.NMels * frames];
        Compute(samples, data, frames);
        return new LogMel(data, Spec.NMels, frames);
    }

    /// <summary>Computes the matrix into <paramref name="destination"/> (n_mels × frames floats, row-major).</summary>
    public void Compute(ReadOnlySpan<float> samples, Span<float> destination) => Compute(samples, destination, Spec.Frames);

    private void Compute(ReadOnlySpan<float> samples, Span<float> destination, int outputFrames)
    {
        var spec = Spec with { Frames = outputFrames };
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
        try
        {
            var x = padded.AsSpan(0, paddedLength);
            ReflectPad(samples, length, pad, x);
            destination.Clear();
            float maxPower = _batched is null
                ? MelFramesScalar(x, computedFrames, keptFrames, destination, spec.Frames)
                : MelFramesBatched(_batched, x, computedFrames, keptFrames, destination, spec.Frames);
            ToDecibels(destination, keptFrames, spec, maxPower);
            if (spec.Padding != FramePadding.Zeros) // zeros: already cleared
                spec.Padding.Fill(destination, spec.NMels, spec.Frames, 0, keptFrames);
        }
        finally
        {
            pool.Return(padded);
        }
    }

    /// <summary>Mel energies of frames [0, computed), storing the first <paramref name="kept"/>; returns the maximum.</summary>
    private float MelFramesScalar(ReadOnlySpan<float> x, int computed, int kept, Span<float> destination, int rowLength)
    {
        var spec = Spec;
        var pool = ArrayPool<float>.Shared;
        var frame = pool.Rent(spec.NFft);
        var power = pool.Rent(spec.FrequencyBins);
        var scratch = pool.Rent(_power.ScratchLength);
        var mel = pool.Rent(spec.NMels);
        try
        {
            float maxPower = AminPower;
            for (int t = 0; t < computed; t++)
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
                    maxPower = Math.Max(maxPower, e);
                    if (t < kept)
                        destination[m * rowLength + t] = e;
                }
            }
            return maxPower;
        }
        finally
        {
            pool.Return(frame);
            pool.Return(power);
            pool.Return(scratch);
            pool.Return(mel);
        }
    }

    /// <summary>As <see cref="MelFramesScalar"/>, transforming one frame per SIMD lane.</summary>
    private float MelFramesBatched(BatchedPowerSpectrum fft, ReadOnlySpan<float> x, int computed, int kept, Span<float> destination, int rowLength)
    {
        var spec = Spec;
        int lanes = BatchedPowerSpectrum.Lanes, half = fft.HalfLength;
        var pool = ArrayPool<Vector<float>>.Shared;
        // One block for the four FFT buffers, staggered by a few vectors so that power-of-two strides in the
        // butterflies do not map every stream onto the same cache sets.
        const int Stagger = 9;
        var block = pool.Rent(4 * (half + Stagger));
        var power = pool.Rent(half + 1);
        var mel = pool.Rent(spec.NMels);
        try
        {
            var re = block.AsSpan(0, half);
            var im = block.AsSpan(half + Stagger, half);
            var workRe = block.AsSpan(2 * (half + Stagger), half);
            var workIm = block.AsSpan(3 * (half + Stagger), half);
            var packRe = MemoryMarshal.Cast<Vector<float>, float>(re);
            var packIm = MemoryMarshal.Cast<Vector<float>, float>(im);
            float maxPower = AminPower;
            for (int t0 = 0; t0 < computed; t0 += lanes)
            {
                int active = Math.Min(lanes, computed - t0);
                for (int l = 0; l < lanes; l++)
                {
                    if (l >= active)
                    {
                        for (int i = 0; i < half; i++)
                            packRe[i * lanes + l] = packIm[i * lanes + l] = 0;
                        continue;
                    }
                    var src = x.Slice((t0 + l) * spec.HopLength, spec.NFft);
                    for (int i = 0; i < half; i++)
                    {
                        packRe[i * lanes + l] = src[2 * i] * _window[2 * i];
                        packIm[i * lanes + l] = src[2 * i + 1] * _window[2 * i + 1];
                    }
                }
                fft.Compute(re, im, workRe, workIm, power.AsSpan(0, half + 1));
                _mel.Apply(power.AsSpan(0, half + 1), mel.AsSpan(0, spec.NMels));
                for (int m = 0; m < spec.NMels; m++)
                {
                    var v = mel[m];
                    var row = destination.Slice(m * rowLength);
                    for (int l = 0; l < active; l++)
                    {
                        float e = v[l];
                        maxPower = Math.Max(maxPower, e);
                        if (t0 + l < kept)
                            row[t0 + l] = e;
                    }
                }
            }
            return maxPower;
        }
        finally
        {
            pool.Return(block);
            pool.Return(power);
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
            TensorPrimitives.Max(row, AminPower, row);
            TensorPrimitives.Log10(row, row);
            TensorPrimitives.Multiply(row, 10f, row);
            TensorPrimitives.Max(row, floor, row);
        }
    }
}
