using AudioClassifier.Onnx.Export;

namespace AudioClassifier.Trainer.Tests;

/// <summary><c>audioclf-train ensemble</c>: joins exported models into one file with its card and the members'
/// metrics, and refuses models that do not belong together with the reason (exit code 2).</summary>
public sealed class EnsembleCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-ensemble-command-").FullName;

    [Fact]
    public void JoinsModelsIntoOneFileWithItsCard()
    {
        var a = TestModels.Write(_dir, seed: 1);
        var b = TestModels.Write(_dir, seed: 2);
        var destination = Path.Combine(_dir, "out", "ensemble.onnx");
        var (code, output, error) = TrainerCli.Run("ensemble", "--models", a, b, "--out", destination, "--name", "esc10-ensemble", "--version", "2.0.0");
        Assert.True(code == 0, error);
        Assert.Contains("joined 2 models into esc10-ensemble 2.0.0", output);
        var description = ContractStamper.Describe(destination);
        Assert.Equal("esc10-ensemble", description.Contract!.ModelName);
        Assert.Equal(["logits", "probabilities", "embedding"], description.Outputs.Select(o => o.Name));
        // The metrics say what was measured: each member's, not the ensemble's.
        Assert.StartsWith("{\"members\":[", description.Contract.MetricsJson);
        Assert.Contains("esc10-ensemble 2.0.0", File.ReadAllText(Path.Combine(_dir, "out", "ensemble.model-card.md")));
    }

    [Fact]
    public void RefusesModelsThatDoNotBelongTogether()
    {
        var a = TestModels.Write(_dir);
        var other = TestModels.Write(_dir, TestModels.Contract() with { Labels = ["cat", "rain", "siren"] });
        var (code, _, error) = TrainerCli.Run("ensemble", "--models", a, other, "--out", Path.Combine(_dir, "never.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("other labels", error);
        (code, _, error) = TrainerCli.Run("ensemble", "--models", a, Path.Combine(_dir, "missing.onnx"), "--out", Path.Combine(_dir, "never.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        Assert.False(File.Exists(Path.Combine(_dir, "never.onnx")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
