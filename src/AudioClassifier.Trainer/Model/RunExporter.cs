using System.Text.Json;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Export;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Native;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Model;

/// <summary>What to stamp on an exported model beyond what the run recorded.</summary>
/// <param name="MetricsFile">JSON embedded as the model's metrics (e.g. a cross-validation summary); default: the run's metrics.json.</param>
/// <param name="CardNotesFile">Markdown appended to the model's card (recipe, results, known limits).</param>
/// <param name="Int8">Write a statically quantised int8 QDQ model, calibrated on the run's training clips.</param>
/// <param name="CalibrationDataset">Where the run's dataset is now, when it moved since training (int8 only).</param>
public sealed record ExportOptions(string Name, string Version, string? Dataset = null, string? License = null, string? AttributionFile = null, bool Float16 = false,
    string? MetricsFile = null, string? CardNotesFile = null, bool Int8 = false, string? CalibrationDataset = null)
{
    /// <summary>How many training clips calibrate the int8 activation ranges at most.</summary>
    public int CalibrationClips { get; init; } = 512;
}

/// <summary>
/// Exports a training run (its best checkpoint and recorded classes, feature spec and metrics) to ONNX with the
/// contract in the model's metadata; TorchSharp has no ONNX export, so the graph is written by
/// <see cref="ResNet18OnnxExporter"/> from the checkpoint's tensors.
/// </summary>
public static class RunExporter
{
    public static ModelContract Export(string runDirectory, string outputPath, ExportOptions options)
    {
        var configFile = Path.Combine(runDirectory, "config.json");
        var checkpoint = Path.Combine(runDirectory, "best.dat");
        if (!File.Exists(configFile) || !File.Exists(checkpoint))
            throw new FileNotFoundException($"{runDirectory} is not a training run (config.json and best.dat are required).");
        var metricsFile = options.MetricsFile ?? Path.Combine(runDirectory, "metrics.json");
        // The trainer writes metrics.json when a run ends (test_metrics.json too with test folds; runs without validation
        // before 2026-11-26 wrote only that): without either the run was stopped, and its best.dat is the checkpoint of
        // a run that never finished (its card would say nothing of what it measured).
        if (!File.Exists(metricsFile) && !File.Exists(Path.Combine(runDirectory, "test_metrics.json")) && options.MetricsFile is null)
            throw new ArgumentException($"{runDirectory} did not finish (it has no metrics.json: stopped during training?). Train it again, or give --metrics FILE to export its last checkpoint anyway with those metrics.");

        using var config = JsonDocument.Parse(File.ReadAllText(configFile));
        var root = config.RootElement;
        var classes = root.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToList();
        var spec = FeatureSpecJson.Deserialize(root.GetProperty("feature_spec_json").GetString()!);
        var dataset = root.GetProperty("dataset");
        if (options.Int8 && options.Float16)
            throw new ArgumentException("Choose one of --int8 and --fp16.");
        // A file named on the command line must exist: a mistyped --metrics would otherwise ship a model whose card
        // has no metrics ({}), and a mistyped --card-notes would fail only after the model was written.
        foreach (var (flag, file) in new[] { ("--metrics", options.MetricsFile), ("--card-notes", options.CardNotesFile) })
            if (file is not null && !File.Exists(file))
                throw new FileNotFoundException($"{flag}: {file} does not exist.", file);
        // Gathered first: a missing notice stops the export before anything is written.
        var attributions = Attributions(options.AttributionFile, root);
        TorchRuntime.EnsureLoaded();
        bool centred = root.GetProperty("config").TryGetProperty("centred_channel", out var c) && c.GetBoolean();
        using var model = new AudioResNet18(classes.Count, 0, centred);
        Checkpoint.Load(model, checkpoint);
        var weights = Weights(model);
        var ranges = options.Int8 ? Int8Calibration.Ranges(model, root, options.CalibrationDataset, options.CalibrationClips) : null;
        var contract = new ModelContract
        {
            Labels = classes,
            Features = spec,
            ModelName = options.Name,
            ModelVersion = options.Version,
            Dataset = options.Dataset ?? $"{dataset.GetProperty("root").GetString()} ({dataset.GetProperty("layout").GetString()}, {dataset.GetProperty("clips").GetInt32()} clips, {dataset.GetProperty("split").GetString()})",
            DatasetLicense = options.License ?? "",
            TrainedAt = File.GetLastWriteTimeUtc(checkpoint),
            MetricsJson = File.Exists(metricsFile) ? Compact(File.ReadAllText(metricsFile)) : "{}",
            Precision = options.Int8 ? ModelContract.Precisions.Int8 : options.Float16 ? ModelContract.Precisions.Float16Weights : ModelContract.Precisions.Float32,
        };
        ResNet18OnnxExporter.Export(weights, contract, outputPath, ranges);
        if (options.CardNotesFile is { } notes)
            File.AppendAllText(ModelCard.PathFor(outputPath), Environment.NewLine + File.ReadAllText(notes));
        if (attributions.Count > 0)
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outputPath))!, "ATTRIBUTION.md"), string.Join(Environment.NewLine + Environment.NewLine, attributions));
        return contract;
    }

    /// <summary>The dataset's attribution and every ATTRIBUTION.md in the outlier-exposure folders (searched like their
    /// sounds, recursively; e.g. scripts/make-real-outliers.sh writes one): a model trained on licensed sounds carries
    /// their notices.</summary>
    private static List<string> Attributions(string? datasetAttribution, JsonElement runConfig)
    {
        var texts = new List<string>();
        if (datasetAttribution is not null)
            texts.Add(File.ReadAllText(datasetAttribution).TrimEnd());
        if (runConfig.GetProperty("config").TryGetProperty("outliers", out var outliers))
        {
            foreach (var folder in outliers.EnumerateArray().Select(e => e.GetString()!))
            {
                if (!Directory.Exists(folder))
                    throw new DatasetException($"The run was trained with outlier sounds from {folder}, which is gone: restore it (scripts/make-outliers.sh, scripts/make-real-outliers.sh) so that their notices (ATTRIBUTION.md) reach the model.");
                foreach (var file in Directory.EnumerateFiles(folder, "ATTRIBUTION.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    texts.Add(File.ReadAllText(file).TrimEnd());
            }
        }
        return texts;
    }

    /// <summary>The network's parameters and buffers as plain arrays.</summary>
    public static Dictionary<string, WeightTensor> Weights(AudioResNet18 model)
    {
        using var scope = NewDisposeScope();   // holds each cpu() copy until its values are read
        return model.state_dict()
            .Where(p => p.Value.dtype == ScalarType.Float32)
            .ToDictionary(p => p.Key, p => new WeightTensor(p.Value.cpu().data<float>().ToArray(), p.Value.shape));
    }

    private static string Compact(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(doc.RootElement);
    }
}
