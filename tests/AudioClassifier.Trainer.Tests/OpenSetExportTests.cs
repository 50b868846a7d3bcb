using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary><c>export --ood</c>: a run exported and calibrated for "not recognised" in one step, on its own split
/// (training clips in the bank, validation clips fit the threshold) and the out-of-domain folders given.</summary>
[Collection(TorchCollection.Name)]
public sealed class OpenSetExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-open-set-export-").FullName;

    // 24 clips of none of the labels: tones and noise at several levels.
    private string OutOfDomain()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "ood")).FullName;
        var rng = new Random(5);
        for (int i = 0; i < 24; i++)
        {
            var pcm = i % 2 == 0
                ? WavBuilder.Sine(22050, 2, 200 + 300 * i)
                : Enumerable.Range(0, 44100).Select(_ => (short)rng.Next(-3000 * (i % 5 + 1), 3000 * (i % 5 + 1))).ToArray();
            File.WriteAllBytes(Path.Combine(folder, $"ood-{i:00}.wav"), WavBuilder.Pcm16(pcm, 22050, 1));
        }
        return folder;
    }

    [Fact]
    public async Task ExportsACalibratedModelFromTheRunsOwnSplit()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 3, 8, 1, 2);
        var config = TrainingConfig.DefaultRecipe with
        {
            Dataset = data, ValFolds = [2], Epochs = 1, BatchSize = 8, Threads = 2, Features = FeatureSpec.Default with { NMels = 64, Frames = 108, WindowSeconds = 2.5, WindowHopSeconds = 1.25 },
            TensorBoardSamples = 0, RunsDir = Path.Combine(_dir, "runs"), RunName = "r", CacheDir = Path.Combine(_dir, "cache"),
        };
        var run = new ModelTrainer(config, TextWriter.Null).Run().RunDirectory;
        var destination = Path.Combine(_dir, "out", "model.onnx");
        var ood = OutOfDomain();

        // Too few out-of-domain clips: refused with the reason, and nothing reaches the destination's folder.
        var few = Directory.CreateDirectory(Path.Combine(_dir, "few")).FullName;
        foreach (var f in Directory.GetFiles(ood).Take(3))
            File.Copy(f, Path.Combine(few, Path.GetFileName(f)));
        var refused = TrainerCli.Run("export", "--run", run, "--out", destination, "--ood", few);
        Assert.Equal(2, refused.Code);
        Assert.Contains("at least 20 of each are needed", refused.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));

        var (code, output, error) = TrainerCli.Run("export", "--run", run, "--out", destination, "--ood", ood);
        Assert.True(code == 0, error);
        Assert.Contains("\"in_domain_not_recognised\"", output);
        Assert.Contains("training clips", error); // progress of the bank
        Assert.Equal(["model.model-card.md", "model.onnx"], Directory.GetFiles(Path.Combine(_dir, "out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = destination, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        var openSet = engine.Contract.OpenSet!;
        Assert.Equal(OpenSetCalibration.Scores.TrainingSimilarity, openSet.Score);
        Assert.InRange(openSet.Threshold, -1, 1);
        Assert.Contains("\"open_set\"", engine.Contract.MetricsJson);
        Assert.Contains("## Open set", File.ReadAllText(Path.Combine(_dir, "out", "model.model-card.md")));
        // A training clip is its own nearest neighbour in the bank: similarity 1, recognised.
        var trainingClip = Directory.GetFiles(data, "1-*.ogg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        await using var stream = File.OpenRead(trainingClip);
        var answer = await engine.ClassifyAsync(stream);
        Assert.Equal(1, answer.RecognitionScore, 3);
        Assert.True(answer.Recognised);
    }

    [Fact]
    public void CalibrationFlagsWithoutOutOfDomainFoldersAreRefused()
    {
        var (code, _, error) = TrainerCli.Run("export", "--run", _dir, "--out", Path.Combine(_dir, "m.onnx"), "--threshold", "0.8");
        Assert.Equal(2, code);
        Assert.Contains("give the out-of-domain folders with --ood", error);
        (code, _, error) = TrainerCli.Run("export", "--run", _dir, "--out", Path.Combine(_dir, "m.onnx"), "--ood", Path.Combine(_dir, "nowhere"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
