using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Dsp;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Inference;
using BenchmarkDotNet.Attributes;

namespace AudioClassifier.Benchmarks;

/// <summary>What /spectrogram's picture costs for a decoded 44.1 kHz clip of 5 s and of 10 minutes: the engine, which
/// resamples only the input the first window depends on, against resampling the whole clip first (the earlier way).</summary>
[MemoryDiagnoser]
public class SpectrogramBenchmarks
{
    private AudioClassifierEngine _engine = null!;
    private LogMelExtractor _extractor = null!;
    private AudioClip _clip = null!;

    [Params(5, 600)]
    public int Seconds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = ShippedModel.Path, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        _extractor = LogMelExtractor.For(_engine.Contract.Features);
        var rng = new Random(1);
        var samples = new float[Seconds * 44100];
        for (int i = 0; i < samples.Length; i++)
            samples[i] = (float)(0.3 * Math.Sin(i * 0.05) + 0.05 * (rng.NextDouble() - 0.5));
        _clip = new AudioClip(samples, 44100, 1, AudioFormat.Wav);
    }

    [Benchmark(Baseline = true, Description = "whole clip resampled, then the first window")]
    public LogMel WholeClip()
    {
        var spec = _engine.Contract.Features;
        var samples = Resampler.Resample(_clip.Samples, _clip.SampleRate, spec.SampleRate);
        var w = ClipWindows.For(samples.Length, spec)[0];
        return _extractor.Compute(samples.AsSpan(w.Start, w.Length));
    }

    [Benchmark(Description = "engine.Features: the first window's input only")]
    public LogMel FirstWindowOnly() => _engine.Features(_clip);

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();
}
