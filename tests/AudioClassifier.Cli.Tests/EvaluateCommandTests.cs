using System.Text.Json;

namespace AudioClassifier.Cli.Tests;

/// <summary><c>audioclf evaluate</c> scores a model on labelled clips through the production path.</summary>
public sealed class EvaluateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-eval-").FullName;

    [Fact]
    public void ReportsAccuracyAndPerClassRecallOnTheChosenFolds()
    {
        // Two classes' fold-1 clips (the shipped model trained on them: its figure here is not a held-out score).
        var data = Path.Combine(_dir, "data");
        foreach (var label in new[] { "001 - Dog bark", "009 - Rooster" })
        {
            var target = Directory.CreateDirectory(Path.Combine(data, label)).FullName;
            foreach (var f in Directory.GetFiles(SharedData.Path("datasets", "esc10", label), "*.ogg").Order().Where(f => Path.GetFileName(f).StartsWith("1-", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("2-", StringComparison.Ordinal)).Take(6))
                File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        }
        var report = Path.Combine(_dir, "report.json");
        var (code, output, error) = CliRunner.Run("evaluate", ShippedModelPath, "--dataset", data, "--folds", "1", "--report", report);
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var root = json.RootElement;
        int clips = Directory.GetFiles(data, "1-*.ogg", SearchOption.AllDirectories).Length;
        Assert.Equal(clips, root.GetProperty("clips").GetInt32());
        Assert.Equal("float16-weights", root.GetProperty("precision").GetString()); // the shipped model stores float16 weights
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0.8, 1.0);
        var recall = root.GetProperty("class_recall").EnumerateArray().ToDictionary(e => e.GetProperty("label").GetString()!, e => e.GetProperty("clips").GetInt32());
        Assert.Equal(10, recall.Count);
        Assert.Equal(clips, recall.Values.Sum());
        Assert.Contains("\"accuracy\"", output);

        // The same clips 20 dB quieter go through the same path; a gain that silences them is reported as such.
        var (quietCode, quietOutput, _) = CliRunner.Run("evaluate", ShippedModelPath, "--dataset", data, "--folds", "1", "--gain-db", "-20");
        Assert.Equal(0, quietCode);
        Assert.Contains("\"gain_db\": -20", quietOutput);
        var (_, silenced, _) = CliRunner.Run("evaluate", ShippedModelPath, "--dataset", data, "--folds", "1", "--gain-db", "-120");
        Assert.Contains($"\"silent\": {clips}", silenced);
    }

    [Fact]
    public void RefusesAFolderThatIsNotOneOfTheModelsLabels()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "data", "Siren"));
        var (code, _, error) = CliRunner.Run("evaluate", ShippedModelPath, "--dataset", Path.Combine(_dir, "data"));
        Assert.Equal(2, code);
        Assert.Contains("'Siren' is not one of the model's labels", error);
    }

    [Fact]
    public void AMissingDatasetOrAnUnservableModelIsAClearError()
    {
        var (code, _, error) = CliRunner.Run("evaluate", ShippedModelPath, "--dataset", Path.Combine(_dir, "nowhere"));
        Assert.NotEqual(0, code);
        Assert.Contains("nowhere", error);
        var broken = Path.Combine(_dir, "broken.onnx");
        File.WriteAllBytes(broken, [1, 2, 3]);
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        (code, _, error) = CliRunner.Run("evaluate", broken, "--dataset", Path.Combine(_dir, "data"));
        Assert.Equal(2, code);
        Assert.Contains("broken.onnx cannot be served", error);
        (code, _, error) = CliRunner.Run("evaluate", ShippedModelPath, "--dataset", Path.Combine(_dir, "data"), "--gain-db", "400");
        Assert.NotEqual(0, code);
        Assert.Contains("--gain-db must be between", error);
    }

    private static string ShippedModelPath => Path.Combine(SharedData.RepositoryRoot, "models", "esc10-resnet18.onnx");

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
