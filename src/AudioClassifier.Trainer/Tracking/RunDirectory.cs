using System.Text.Json;
using AudioClassifier.Imaging;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tracking;

/// <summary>
/// One run's folder: <c>config.json</c> (resolved settings, dataset, split, initialisation), <c>metrics.jsonl</c>
/// (one line per epoch), <c>best.dat</c> (best checkpoint, TorchSharp state dict), <c>metrics.json</c> and
/// <c>per_class.csv</c> (final validation), <c>confusion_matrix.png</c>, <c>samples/</c> and <c>tensorboard/</c>.
/// </summary>
public sealed class RunDirectory
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public RunDirectory(string root, string name)
    {
        Path = System.IO.Path.Combine(root, name);
        try
        {
            Directory.CreateDirectory(Path);
            Directory.CreateDirectory(Samples);
            Directory.CreateDirectory(TensorBoard);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // .NET says "Could not find file '/proc/runs'" for a folder that cannot be made: name the setting.
            throw new IOException($"Cannot create the run folder {Path} (--runs-dir {root}): {e.Message}", e);
        }
    }

    public string Path { get; }
    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");
    public string MetricsLog => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string Checkpoint => System.IO.Path.Combine(Path, "best.dat");
    public string FinalMetrics => System.IO.Path.Combine(Path, "metrics.json");
    public string PerClassCsv => System.IO.Path.Combine(Path, "per_class.csv");
    public string ConfusionPng => System.IO.Path.Combine(Path, "confusion_matrix.png");
    public string Samples => System.IO.Path.Combine(Path, "samples");
    public string TensorBoard => System.IO.Path.Combine(Path, "tensorboard");

    public void WriteJson(string file, object value) => File.WriteAllText(file, JsonSerializer.Serialize(value, Indented));

    public void AppendMetrics(object line) => File.AppendAllText(MetricsLog, JsonSerializer.Serialize(line) + Environment.NewLine);

    public void WriteFinal(IReadOnlyList<string> classes, Evaluation evaluation, int bestEpoch)
    {
        WriteJson(FinalMetrics, new { best_epoch = bestEpoch, classes, evaluation });
        var lines = new List<string> { "class,precision,recall,f1,support" };
        lines.AddRange(evaluation.PerClass.Select(m => FormattableString.Invariant($"\"{m.Class}\",{m.Precision:0.0000},{m.Recall:0.0000},{m.F1:0.0000},{m.Support}")));
        File.WriteAllLines(PerClassCsv, lines);
        PngEncoder.Save(ConfusionMatrixRenderer.Render(classes, evaluation.Confusion,
            FormattableString.Invariant($"Validation confusion (acc {evaluation.Accuracy:P1}, epoch {bestEpoch})")), ConfusionPng);
    }
}
