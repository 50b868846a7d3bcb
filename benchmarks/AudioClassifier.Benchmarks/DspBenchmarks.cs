using AudioClassifier.Audio.Dsp;
using AudioClassifier.Audio.Features;
using BenchmarkDotNet.Attributes;

namespace AudioClassifier.Benchmarks;

/// <summary>The front end's DSP stages on 5 s of noise, to locate where its time goes.</summary>
[MemoryDiagnoser]
public class DspBenchmarks
{
    private readonly float[] _at44k = Noise(220500);
    private readonly float[] _at48k = Noise(240000);
    private readonly float[] _at22k = Noise(110250);
    private readonly float[] _features = new float[128 * 216];
    private readonly float[] _atSeedRate = Noise(110250);

    [Benchmark(Description = "resample 44.1k->22.05k")]
    public float[] Resample44() => Resampler.Resample(_at44k, 44100, 22050);

    [Benchmark(Description = "resample 48k->22.05k")]
    public float[] Resample48() => Resampler.Resample(_at48k, 48000, 22050);

    [Benchmark(Description = "log-mel default (216 frames)")]
    public float[] LogMelDefault()
    {
        LogMelExtractor.For(FeatureSpec.Default).Compute(_at22k, _features);
        return _features;
    }

    [Benchmark(Description = "log-mel seed (330 frames)")]
    public LogMel LogMelSeed() => LogMelExtractor.For(FeatureSpec.Seed).Compute(_atSeedRate);

    private static float[] Noise(int n)
    {
        var rng = new Random(1);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    }
}

/// <summary>The batched FFT alone: 27 batches of 8 frames, as one default-spec 5 s clip needs.</summary>
public class FftBenchmarks
{
    private readonly BatchedPowerSpectrum _fft = BatchedPowerSpectrum.TryCreate(2048)!;
    private readonly System.Numerics.Vector<float>[] _re = new System.Numerics.Vector<float>[1024];
    private readonly System.Numerics.Vector<float>[] _im = new System.Numerics.Vector<float>[1024];
    private readonly System.Numerics.Vector<float>[] _work = new System.Numerics.Vector<float>[2048];
    private readonly System.Numerics.Vector<float>[] _power = new System.Numerics.Vector<float>[1025];

    [Benchmark(Description = "batched FFT 2048, 27 batches")]
    public void Fft()
    {
        for (int i = 0; i < 27; i++)
            _fft.Compute(_re, _im, _work.AsSpan(0, 1024), _work.AsSpan(1024), _power);
    }
}
