using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.TestSupport;
using BenchmarkDotNet.Attributes;

namespace AudioClassifier.Benchmarks;

/// <summary>The bare model cost: ONNX Runtime Run of the shipped ResNet18 (float32 and int8) at several batch sizes (CPU provider).</summary>
[MemoryDiagnoser]
public class EngineRunBenchmarks
{
    private OnnxModel _model = null!;
    private float[] _inputs = [];

    [Params(1, 4, 8, 16, 32)]
    public int Batch { get; set; }

    [ParamsSource(nameof(Precisions))]
    public string Precision { get; set; } = "float32";

    public static IEnumerable<string> Precisions => ShippedModel.Precisions;

    [GlobalSetup]
    public void Setup()
    {
        _model = OnnxModel.Load(new AudioClassifierOptions { ModelPath = ShippedModel.PathFor(Precision), ExecutionProvider = ExecutionProviderPreference.Cpu });
        var rng = new Random(1);
        _inputs = Enumerable.Range(0, 32 * _model.InputSize).Select(_ => (float)(-60 + 40 * rng.NextDouble())).ToArray();
    }

    [Benchmark(Description = "ORT Run (batch)")]
    public float[] Run() => _model.Run(_inputs, Batch);

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();
}

/// <summary>The whole in-process path for one 5 s 44.1 kHz WAV clip: decode, resample, log-mel, Run, top-k.</summary>
[MemoryDiagnoser]
public class ClassifyPathBenchmarks
{
    private AudioClassifierEngine _engine = null!;
    private byte[] _wav = [];

    [ParamsSource(nameof(Precisions))]
    public string Precision { get; set; } = "float32";

    public static IEnumerable<string> Precisions => ShippedModel.Precisions;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = ShippedModel.PathFor(Precision), ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        var dir = Directory.CreateTempSubdirectory("audioclf-bench-").FullName;
        var wav = Path.Combine(dir, "clip.wav");
        ExternalTools.Run("sox", Path.Combine(SharedData.Path("datasets", "esc10", "009 - Rooster"), "1-26806-A.ogg"), "-b", "16", wav);
        _wav = File.ReadAllBytes(wav);
        Directory.Delete(dir, true);
    }

    [Benchmark(Description = "classify 5 s WAV in-process")]
    public async Task<ClassificationResult> Classify() => await _engine.ClassifyAsync(AudioDecoder.Decode(_wav));

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();
}

/// <summary>Where the shipped models are: float32, and int8 beside it when shipped; plus any models named in
/// AUDIOCLF_BENCH_MODELS ("name=path;name=path", e.g. an ensemble), measured in the same run.</summary>
internal static class ShippedModel
{
    public static string Path => System.IO.Path.Combine(SharedData.RepositoryRoot, "models", "esc10-resnet18.onnx");

    private static Dictionary<string, string> Extra { get; } = (Environment.GetEnvironmentVariable("AUDIOCLF_BENCH_MODELS") ?? "")
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(entry => entry.Split('=', 2))
        .ToDictionary(pair => pair[0] is "float32" or "int8" ? throw new ArgumentException($"AUDIOCLF_BENCH_MODELS: '{pair[0]}' names a shipped model; choose another name.") : pair[0],
            pair => pair.Length == 2 && File.Exists(pair[1]) ? pair[1] : throw new ArgumentException($"AUDIOCLF_BENCH_MODELS: '{string.Join('=', pair)}' is not name=path of an existing model."));

    public static string PathFor(string precision) =>
        Extra.TryGetValue(precision, out var extra) ? extra : precision == "int8" ? Path.Replace(".onnx", "-int8.onnx", StringComparison.Ordinal) : Path;

    public static IEnumerable<string> Precisions => (File.Exists(PathFor("int8")) ? new[] { "float32", "int8" } : ["float32"]).Concat(Extra.Keys);
}
