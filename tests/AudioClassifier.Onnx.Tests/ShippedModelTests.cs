using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Onnx.Tests;

/// <summary>
/// Regression guard for the model shipped in models/: its contract, its accuracy on a fixed set of ESC-10 clips it
/// was trained on (not a quality claim — cross-validation is, see docs/esc10-model.md), and its open-set calibration
/// (clips it knows are recognised; loud noise, a tone and a 10 ms blip are not).
/// </summary>
public sealed class ShippedModelTests
{
    private static readonly string ModelPath = Path.Combine(SharedData.RepositoryRoot, "models", "esc10-resnet18.onnx");
    private static readonly string Int8Path = Path.Combine(SharedData.RepositoryRoot, "models", "esc10-resnet18-int8.onnx");

    private static readonly string[] Esc10Classes =
        ["Dog bark", "Rain", "Sea waves", "Baby cry", "Clock tick", "Person sneeze", "Helicopter", "Chainsaw", "Rooster", "Fire crackling"];

    [Fact]
    public void ContractDescribesTheEsc10ModelAndItsLicence()
    {
        using var model = OnnxModel.Load(new AudioClassifierOptions { ModelPath = ModelPath, ExecutionProvider = ExecutionProviderPreference.Cpu });
        var c = model.Contract;
        Assert.Equal(Esc10Classes, c.Labels);
        Assert.Equal(FeatureSpec.Default, c.Features);
        Assert.Equal("esc10-resnet18", c.ModelName);
        Assert.Contains("CC BY 3.0", c.DatasetLicense);
        Assert.Contains("cross_validation", c.MetricsJson);
        Assert.Contains("open_set", c.MetricsJson);
        Assert.Equal(OpenSetCalibration.Scores.MaxProbability, c.OpenSet?.Score);
        // Trained with outlier exposure on licensed sound effects: their notices travel with the model, after ESC-10's.
        Assert.Contains("Freedoom", c.DatasetLicense);
        var dir = Path.GetDirectoryName(ModelPath)!;
        var attribution = File.ReadAllText(Path.Combine(dir, "ATTRIBUTION.md"));
        Assert.Contains("jimblodget", attribution);
        Assert.Contains("Contributors to the Freedoom project", attribution);
        Assert.Contains("opensfx-33.wav: \"Jackhammer\"", attribution);
        var card = File.ReadAllText(Path.Combine(dir, "esc10-resnet18.model-card.md"));
        Assert.Contains("Rooster", card);
        Assert.Contains("CC BY 3.0", card);
    }

    [Fact]
    public void TheInt8SiblingHasTheSameContractAtInt8()
    {
        using var fp = OnnxModel.Load(new AudioClassifierOptions { ModelPath = ModelPath, ExecutionProvider = ExecutionProviderPreference.Cpu });
        using var int8 = OnnxModel.Load(new AudioClassifierOptions { ModelPath = Int8Path, ExecutionProvider = ExecutionProviderPreference.Cpu });
        Assert.Equal(Onnx.Contract.ModelContract.Precisions.Float16Weights, fp.Contract.Precision);
        Assert.Equal(Onnx.Contract.ModelContract.Precisions.Int8, int8.Contract.Precision);
        // Same labels, features and provenance; each precision has its own calibration (measured on its own fold models).
        Assert.Equal(fp.Contract with { Precision = int8.Contract.Precision, TrainedAt = int8.Contract.TrainedAt, OpenSet = int8.Contract.OpenSet, MetricsJson = int8.Contract.MetricsJson }, int8.Contract);
        Assert.Contains("int8", File.ReadAllText(Path.Combine(Path.GetDirectoryName(Int8Path)!, "esc10-resnet18-int8.model-card.md")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClassifiesAFixedSetOfTrainingClips(bool int8)
    {
        using var engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = int8 ? Int8Path : ModelPath, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        var clips = new List<(string Path, string Label)>();
        foreach (var dir in Directory.GetDirectories(SharedData.Path("datasets", "esc10")).Order())
        {
            string label = Esc10Classes[int.Parse(Path.GetFileName(dir)[..3]) - 1];
            foreach (var fold in new[] { 1, 2, 3, 4 })
                clips.AddRange(Directory.GetFiles(dir, $"{fold}-*.ogg").Order().Take(2).Select(f => (f, label)));
        }
        Assert.Equal(80, clips.Count);
        int correct = 0;
        foreach (var (path, label) in clips)
        {
            await using var stream = File.OpenRead(path);
            var result = await engine.ClassifyAsync(stream);
            if (result.Top!.Label == label)
                correct++;
            // It was trained on them: recognised.
            Assert.True(result.Recognised, $"{Path.GetFileName(path)}: not recognised (score {result.RecognitionScore})");
        }
        Assert.True(correct >= 76, $"{correct}/80 training clips classified correctly (expected ≥ 76)");
    }

    public static TheoryData<string, bool> Unknown => new()
    {
        { "white noise", false }, { "1 kHz tone", false }, { "10 ms tone", false },
        { "white noise", true }, { "1 kHz tone", true }, { "10 ms tone", true },
    };

    [Theory]
    [MemberData(nameof(Unknown))]
    public async Task SoundsOutsideItsClassesAreNotRecognised(string sound, bool int8)
    {
        using var engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = int8 ? Int8Path : ModelPath, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        const int rate = 22050;
        var rng = new Random(3);
        float[] samples = sound switch
        {
            "white noise" => Enumerable.Range(0, 5 * rate).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(),
            "1 kHz tone" => Enumerable.Range(0, 5 * rate).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 1000 * i / rate))).ToArray(),
            _ => Enumerable.Range(0, rate / 100).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 1000 * i / rate))).ToArray(),
        };
        var result = await engine.ClassifyAsync(new AudioClip(samples, rate, 1, AudioFormat.Wav));
        Assert.False(result.Silent);
        Assert.False(result.Recognised, $"{sound}: recognised as {result.Top?.Label} (score {result.RecognitionScore}, threshold {result.Threshold})");
        Assert.True(result.RecognitionScore < result.Threshold);
    }
}
