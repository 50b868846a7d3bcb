using System.Text.Json;
using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary>Outlier exposure: sounds that are none of the classes, trained towards a uniform answer, leave the model
/// unsure of them, and the run records what it was given.</summary>
[Collection(TorchCollection.Name)]
public sealed class OutlierExposureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-oe-").FullName;

    private TrainingConfig Tiny(string dataset, string outliers, string name, double weight) => TrainingConfig.DefaultRecipe with
    {
        Dataset = dataset, ValFolds = [], ValFraction = 0, Epochs = 10, BatchSize = 6, LearningRate = 1e-3, Augment = AugmentConfig.None,
        Dropout = 0, Scheduler = "none", Threads = 2, RunsDir = Path.Combine(_dir, "runs"), RunName = name,
        CacheDir = Path.Combine(_dir, "cache"), TensorBoardSamples = 1, Features = FeatureSpec.Default with { NMels = 64, Frames = 108, WindowSeconds = 2.5, WindowHopSeconds = 1.25 },
        Outliers = [outliers], OutlierWeight = weight, OutlierBatch = 4,
    };

    /// <summary>UrbanSound8K sounds other than dog barks (the tiny dataset's first class is Dog bark).</summary>
    private string UrbanOutliers()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "outliers")).FullName;
        foreach (var f in Directory.EnumerateFiles(TinyDatasets.UrbanSound8K, "*.wav", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(f).Split('-')[1] != "3")
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }
        return dir;
    }

    private static double MeanMaxProbability(string runDirectory)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDirectory, "outlier_metrics.json")));
        return doc.RootElement.GetProperty("mean_max_probability").GetDouble();
    }

    [Fact]
    public void OutliersTrainedTowardsUniformAreAnsweredWithLessConfidence()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 3, 1, 2);
        var outliers = UrbanOutliers();
        var control = new ModelTrainer(Tiny(data, outliers, "weight0", 0), TextWriter.Null).Run();
        var log = new StringWriter();
        var exposed = new ModelTrainer(Tiny(data, outliers, "weight1", 1), log).Run();

        double sure = MeanMaxProbability(control.RunDirectory), unsure = MeanMaxProbability(exposed.RunDirectory);
        Assert.True(unsure < sure - 0.1, $"mean best probability on the outliers: {unsure:0.000} with exposure, {sure:0.000} without");
        Assert.InRange(unsure, 0.5, 0.7);   // two classes: 0.5 is uniform
        Assert.Contains("outlier exposure: 12 clips", log.ToString());
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(exposed.RunDirectory, "config.json")));
        var recorded = config.RootElement.GetProperty("config");
        Assert.Equal(outliers, recorded.GetProperty("outliers")[0].GetString());
        Assert.Equal(1, recorded.GetProperty("outlier_weight").GetDouble());

        // The model carries the notices of the sounds it was trained on, after the dataset's.
        File.WriteAllText(Path.Combine(outliers, "ATTRIBUTION.md"), "# Outlier sounds\nUrbanSound8K clips (test only)\n");
        var onnx = Path.Combine(_dir, "export", "model.onnx");
        Model.RunExporter.Export(exposed.RunDirectory, onnx, new Model.ExportOptions("oe-test", "1", AttributionFile: SharedData.Path("datasets", "esc10", "README.md")));
        var attribution = File.ReadAllText(Path.Combine(_dir, "export", "ATTRIBUTION.md"));
        Assert.StartsWith("# ESC-10", attribution);
        Assert.EndsWith("UrbanSound8K clips (test only)", attribution);

        // A mistyped --metrics or --card-notes file is refused by name before anything is written (not a card without metrics).
        var typo = Path.Combine(_dir, "typo", "model.onnx");
        foreach (var options in new[] { new Model.ExportOptions("oe-test", "1", MetricsFile: Path.Combine(_dir, "cv.jsn")),
                                        new Model.ExportOptions("oe-test", "1", CardNotesFile: Path.Combine(_dir, "notes.mdd")) })
        {
            var missing = Assert.Throws<FileNotFoundException>(() => Model.RunExporter.Export(exposed.RunDirectory, typo, options));
            Assert.Contains(options.MetricsFile ?? options.CardNotesFile!, missing.Message);
            Assert.False(File.Exists(typo));
        }

        // Without the outlier folder its notices cannot be checked: refused before anything is written.
        Directory.Move(outliers, outliers + "-moved");
        var again = Path.Combine(_dir, "again", "model.onnx");
        var gone = Assert.Throws<DatasetException>(() => Model.RunExporter.Export(exposed.RunDirectory, again, new Model.ExportOptions("oe-test", "1")));
        Assert.Contains(outliers, gone.Message);
        Assert.False(File.Exists(again));
    }

    [Fact]
    public void MissingOrEmptyOutlierFoldersAreRefusedByName()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 1, 1);
        var missing = Assert.Throws<ArgumentException>(() => new ModelTrainer(Tiny(data, Path.Combine(_dir, "nowhere"), "missing", 1), TextWriter.Null).Run());
        Assert.Contains("outliers", missing.Message);
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var none = Assert.Throws<DatasetException>(() => new ModelTrainer(Tiny(data, empty, "empty", 1), TextWriter.Null).Run());
        Assert.Contains("No audio clips", none.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
