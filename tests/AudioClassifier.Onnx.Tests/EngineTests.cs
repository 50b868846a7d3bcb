using System.Collections.Concurrent;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace AudioClassifier.Onnx.Tests;

/// <summary>Windowing, dynamic batching, queue limits and execution providers on a real ONNX Runtime session.</summary>
public sealed class EngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-engine-").FullName;
    private readonly string _model;

    public EngineTests() => _model = TestModels.Write(_dir);

    private AudioClassifierOptions Options(bool batching = true) => new()
    {
        ModelPath = _model, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = batching, MaxQueueDelayMilliseconds = 20, IntraOpThreads = 1,
    };

    private static AudioClip Noise(double seconds, int seed, int rate = 22050)
    {
        var rng = new Random(seed);
        var samples = Enumerable.Range(0, (int)(seconds * rate)).Select(i => (float)(0.3 * Math.Sin(i * (0.01 + seed * 0.003)) + 0.05 * (rng.NextDouble() - 0.5))).ToArray();
        return new AudioClip(samples, rate, 1, AudioFormat.Wav);
    }

    [Fact]
    public void TwelveSecondClipIsCutIntoOverlappingWindows()
    {
        var spec = TestModels.SmallSpec with { WindowSeconds = 5, WindowHopSeconds = 2.5 };
        var windows = ClipWindows.For(12 * spec.SampleRate, spec);
        Assert.Equal([0.0, 2.5, 5.0, 7.0], windows.Select(w => (double)w.Start / spec.SampleRate));
        Assert.All(windows, w => Assert.Equal(5 * spec.SampleRate, w.Length));
        Assert.Single(ClipWindows.For(3 * spec.SampleRate, spec));
    }

    [Fact]
    public async Task ClassifyReturnsTopKAndTheTimeline()
    {
        using var engine = new AudioClassifierEngine(Options(batching: false));
        var result = await engine.ClassifyAsync(Noise(4.6, 1), topK: 2);
        Assert.Equal(2, result.TopK.Count);
        Assert.True(result.TopK[0].Score >= result.TopK[1].Score);
        Assert.Contains(result.Top!.Label, TestModels.Labels);
        // 2 s windows every 1 s over 4.6 s: starts 0, 1, 2, then one aligned to the end (0.6 s > half a hop left).
        Assert.Equal([0.0, 1.0, 2.0, 2.6], result.Timeline.Select(w => Math.Round(w.StartSeconds, 3)));
        Assert.Equal(4.6, result.Timeline[^1].EndSeconds, 3);
        Assert.Equal(4.6, result.DurationSeconds, 3);
        Assert.Equal("CPUExecutionProvider", result.ExecutionProvider);
        var full = await engine.ClassifyAsync(Noise(4.6, 1), topK: 3);
        Assert.Equal(1.0, full.TopK.Sum(s => s.Score), 4);
        // The clip's probabilities are the mean of its windows'.
        foreach (var label in TestModels.Labels)
        {
            double mean = full.Timeline.Average(w => w.TopK.Single(s => s.Label == label).Score);
            Assert.Equal(mean, full.TopK.Single(s => s.Label == label).Score, 4);
        }
    }

    [Fact]
    public async Task ConcurrentCallersShareRunsWithIdenticalResults()
    {
        var clips = Enumerable.Range(0, 12).Select(i => Noise(1.5, i)).ToList();
        using var plain = new AudioClassifierEngine(Options(batching: false));
        var expected = new List<ClassificationResult>();
        foreach (var c in clips)
            expected.Add(await plain.ClassifyAsync(c, 3));

        using var batched = new AudioClassifierEngine(Options(batching: true));
        var sizes = new ConcurrentBag<int>();
        batched.BatchRun += run => sizes.Add(run.Windows);
        // Dedicated threads released together, so the callers really overlap (the thread pool would ramp up slowly).
        using var start = new Barrier(clips.Count);
        var results = new ClassificationResult[clips.Count];
        var threads = clips.Select((c, i) => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = batched.ClassifyAsync(c, 3).GetAwaiter().GetResult();
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Contains(sizes, s => s > 1);
        Assert.Equal(clips.Count, sizes.Sum());
        for (int i = 0; i < clips.Count; i++)
        {
            Assert.Equal(expected[i].TopK.Select(s => s.Label), results[i].TopK.Select(s => s.Label));
            Assert.All(expected[i].TopK.Zip(results[i].TopK), p => Assert.Equal(p.First.Score, p.Second.Score, 5));
        }
    }

    [Fact]
    public async Task BatchedPathMatchesSingleClips()
    {
        using var engine = new AudioClassifierEngine(Options(batching: false));
        var clips = new[] { Noise(1, 1), Noise(3.2, 2), Noise(0.4, 3) };
        var batch = await engine.ClassifyBatchAsync(clips, 3);
        for (int i = 0; i < clips.Length; i++)
        {
            var single = await engine.ClassifyAsync(clips[i], 3);
            Assert.Equal(single.TopK.Select(s => s.Label), batch[i].TopK.Select(s => s.Label));
            Assert.Equal(single.Timeline.Count, batch[i].Timeline.Count);
        }
        Assert.Empty(await engine.ClassifyBatchAsync([], 3));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LongClipsRunInBatchesNoLargerThanMaxBatchSizeAndOnlyAtConfiguredShapes(bool batching)
    {
        var clip = Noise(12, 4); // 11 windows of 2 s every 1 s
        using var whole = new AudioClassifierEngine(Options(batching) with { MaxBatchSize = 64 });
        var expected = await whole.ClassifyAsync(clip, 3);
        using var engine = new AudioClassifierEngine(Options(batching) with { MaxBatchSize = 4, BatchShapes = "1,4" });
        var runs = new ConcurrentQueue<BatchRunInfo>();
        engine.BatchRun += runs.Enqueue;

        var result = await engine.ClassifyAsync(clip, 3);

        Assert.Equal([4, 4, 3], runs.Select(r => r.Windows).Order().Reverse());
        Assert.All(runs, r => Assert.Equal(4, r.Shape));
        Assert.Equal(expected.Timeline.Count, result.Timeline.Count);
        foreach (var (a, b) in expected.Timeline.Zip(result.Timeline))
            Assert.Equal(a.TopK.Select(s => (s.Label, Math.Round(s.Score, 4))), b.TopK.Select(s => (s.Label, Math.Round(s.Score, 4))));
    }

    [Fact]
    public async Task CudaLoadsWhereAGpuIsUsableAndFailsClearlyWhereNot()
    {
        var probe = CudaProbe.Result;
        using var auto = new AudioClassifierEngine(Options() with { ExecutionProvider = ExecutionProviderPreference.Auto });
        var corrupt = Path.Combine(_dir, "corrupt.onnx");
        File.WriteAllBytes(corrupt, [.. File.ReadAllBytes(_model).Take(5000)]);
        if (!probe.Usable)
        {
            // A CPU-only host: 'Cuda' fails at load naming what is missing; 'Auto' serves from the CPU.
            var e = Assert.Throws<ExecutionProviderUnavailableException>(() => new AudioClassifierEngine(Options() with { ExecutionProvider = ExecutionProviderPreference.Cuda }));
            Assert.Contains("CUDA cannot be used", e.Message);
            Assert.Contains(probe.Reason, e.Message);
            Assert.Equal("CPUExecutionProvider", auto.ExecutionProvider);
            return;
        }
        // A GPU host: both modes run on CUDA with the CPU provider's answers, and a corrupt model is the model's fault.
        using var cuda = new AudioClassifierEngine(Options() with { ExecutionProvider = ExecutionProviderPreference.Cuda });
        using var cpu = new AudioClassifierEngine(Options() with { ExecutionProvider = ExecutionProviderPreference.Cpu });
        Assert.Equal("CUDAExecutionProvider", cuda.ExecutionProvider);
        Assert.Equal("CUDAExecutionProvider", auto.ExecutionProvider);
        var onGpu = await cuda.ClassifyAsync(Noise(3, 5), 3);
        var onCpu = await cpu.ClassifyAsync(Noise(3, 5), 3);
        Assert.All(onGpu.TopK.Zip(onCpu.TopK), p => Assert.Equal(p.Second.Score, p.First.Score, 3));
        Assert.Throws<ModelLoadException>(() => new AudioClassifierEngine(Options() with { ModelPath = corrupt, ExecutionProvider = ExecutionProviderPreference.Cuda }));
    }

    [Fact]
    public async Task PaddedRunsGiveTheSameAnswersAsUnpaddedRuns()
    {
        var clip = Noise(5, 6); // 4 windows
        using var exact = new AudioClassifierEngine(Options(batching: false) with { MaxBatchSize = 8 }); // CPU default: every size
        using var padded = new AudioClassifierEngine(Options(batching: false) with { MaxBatchSize = 8, BatchShapes = "1,8" });
        var runs = new ConcurrentQueue<BatchRunInfo>();
        padded.BatchRun += runs.Enqueue;

        var a = await exact.ClassifyAsync(clip, 3);
        var b = await padded.ClassifyAsync(clip, 3);

        Assert.Equal([new BatchRunInfo(4, 8)], runs);
        Assert.Equal(a.Timeline.Count, b.Timeline.Count);
        foreach (var (x, y) in a.Timeline.Zip(b.Timeline))
        {
            Assert.Equal(x.TopK.Select(s => s.Label), y.TopK.Select(s => s.Label));
            Assert.All(x.TopK.Zip(y.TopK), p => Assert.Equal(p.First.Score, p.Second.Score, 6));
        }
    }

    [Fact]
    public void EveryShapeIsWarmedUpAtLoad()
    {
        using var model = OnnxModel.Load(Options() with { MaxBatchSize = 6, BatchShapes = "1,3,6" });
        Assert.Equal([1, 3, 6], model.Shapes.Sizes);
        Assert.Equal(3, model.WarmUpTimes.Count);
        Assert.All(model.WarmUpTimes, t => Assert.True(t > TimeSpan.Zero));
    }

    [Fact]
    public async Task RegistersForDependencyInjection()
    {
        using var provider = new ServiceCollection().AddAudioClassifier(Options()).BuildServiceProvider();
        var engine = provider.GetRequiredService<AudioClassifierEngine>();
        Assert.Same(engine, provider.GetRequiredService<AudioClassifierEngine>());
        var wav = WavBuilder.Pcm16(WavBuilder.Sine(16000, 1.0, 440), 16000, 1);
        var result = await engine.ClassifyAsync(new MemoryStream(wav));
        Assert.Equal(3, result.TopK.Count);
    }

    [Fact]
    public async Task ClassifiesRealEncodedAudio()
    {
        using var engine = new AudioClassifierEngine(Options(batching: false));
        var ogg = Directory.GetFiles(SharedData.Path("datasets", "esc10"), "*.ogg", SearchOption.AllDirectories).Order().First();
        await using var stream = File.OpenRead(ogg);
        var result = await engine.ClassifyAsync(stream);
        Assert.InRange(result.DurationSeconds, 4.9, 5.1);
        Assert.Equal(4, result.Timeline.Count); // 5 s with 2 s windows every 1 s: 0, 1, 2, 3
    }

    // The picture /spectrogram draws: only the first window's input is resampled, with the very values a resampling
    // of the whole clip gives (a 10-minute upload costs one window's work, not ten minutes': resampling all of it
    // allocates 53 MB, one window under 1 MB).
    [Theory]
    [InlineData(44100, 600.0)]
    [InlineData(16000, 1.3)]
    [InlineData(44101, 30.0)]   // an odd rate: the any-ratio path
    [InlineData(22050, 7.0)]    // the model's rate: nothing to resample
    public void TheFirstWindowsFeaturesAreThoseOfTheWholeClipResampled(int rate, double seconds)
    {
        using var engine = new AudioClassifierEngine(Options(batching: false));
        var clip = Noise(seconds, 3, rate);
        var spec = engine.Contract.Features;
        var whole = Audio.Dsp.Resampler.Resample(clip.Samples, rate, spec.SampleRate);
        var first = ClipWindows.For(whole.Length, spec)[0];
        var expected = Audio.Features.LogMelExtractor.For(spec).Compute(whole.AsSpan(first.Start, first.Length));
        engine.Features(clip);   // the resampler's kernel, cached once
        long before = GC.GetAllocatedBytesForCurrentThread();
        var features = engine.Features(clip);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4_000_000, $"{allocated} bytes allocated for the first window of a {seconds} s clip");
        Assert.Equal((expected.NMels, expected.Frames), (features.NMels, features.Frames));
        Assert.Equal(expected.Data, features.Data);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
