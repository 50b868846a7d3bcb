using System.Buffers.Binary;
using System.Text.Json;
using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Commands;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary>Real training on real clips: the loss falls, the run is tracked completely, and runs are reproducible.</summary>
[Collection(TorchCollection.Name)]
public sealed class TrainingEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-train-").FullName;

    private TrainingConfig Tiny(string dataset, string name) => TrainingConfig.DefaultRecipe with
    {
        Dataset = dataset, ValFolds = [2], Epochs = 2, BatchSize = 6, LearningRate = 3e-4, Augment = AugmentConfig.None,
        Dropout = 0, Scheduler = "none", Threads = 2, RunsDir = Path.Combine(_dir, "runs"), RunName = name,
        CacheDir = Path.Combine(_dir, "cache"), TensorBoardSamples = 2, Features = FeatureSpec.Default with { NMels = 64, Frames = 108, WindowSeconds = 2.5, WindowHopSeconds = 1.25 },
    };

    [Fact]
    public void TrainsTwoEpochsAndWritesTheRunDirectory()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 3, 4, 1, 2);
        var log = new StringWriter();
        var result = new ModelTrainer(Tiny(data, "e2e"), log).Run();
        // The log is redirected output: progress lines for features and each epoch, no carriage-return frames.
        Assert.DoesNotContain('\r', log.ToString());
        Assert.Contains("features [", log.ToString());
        Assert.Contains("epoch 2/2 [", log.ToString());

        Assert.Equal(2, result.EpochTrainLoss.Count);
        Assert.True(result.EpochTrainLoss[1] < result.EpochTrainLoss[0], $"loss did not fall: {string.Join(", ", result.EpochTrainLoss)}");
        var run = result.RunDirectory;
        foreach (var file in new[] { "config.json", "metrics.jsonl", "best.dat", "metrics.json", "per_class.csv", "confusion_matrix.png" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(3, config.RootElement.GetProperty("classes").GetArrayLength());
        Assert.Contains("imagenet", config.RootElement.GetProperty("initialization").GetProperty("Source").GetString());
        Assert.Equal(4, File.ReadAllLines(Path.Combine(run, "per_class.csv")).Length);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "samples"), "*label_*_pred_*.png").Concat(Directory.GetFiles(Path.Combine(run, "samples"), "*.png")));

        var events = Directory.GetFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*");
        Assert.Equal(2, events.Length);
        var media = Records(events.Single(e => e.EndsWith(".media"))).Select(Tensorboard.Event.Parser.ParseFrom).ToList();
        Assert.Equal("brain.Event:2", media[0].FileVersion);
        Assert.Contains(media, e => e.Summary?.Value.Any(v => v.Audio is { SampleRate: 22050 } a && a.EncodedAudioString.Span.StartsWith("RIFF"u8)) == true);
        Assert.Contains(media, e => e.Summary?.Value.Any(v => v.Tag.Contains("label_") && v.Tag.Contains("_pred_") && v.Image is { Width: > 0 }) == true);
        var scalars = Records(events.Single(e => !e.EndsWith(".media"))).Select(Tensorboard.Event.Parser.ParseFrom).ToList();
        var tags = scalars.SelectMany(e => e.Summary?.Value.Select(v => v.Tag) ?? []).ToHashSet();
        Assert.Superset(new HashSet<string> { "train/loss", "train/lr", "val/loss", "val/accuracy" }, tags);
    }

    [Fact]
    public void SameSeedGivesTheSameRun()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 3, 1, 2);
        // Every augmentation on, spectral colouring and background mixing included: still one run per seed.
        var augment = new AugmentConfig { EqDb = 10, BackgroundProbability = 0.5, PitchShiftSemitones = 2, TimeStretch = 0.25 };
        var a = new ModelTrainer(Tiny(data, "a") with { Epochs = 1, Augment = augment }, TextWriter.Null).Run();
        var b = new ModelTrainer(Tiny(data, "b") with { Epochs = 1, Augment = augment }, TextWriter.Null).Run();
        Assert.Equal(a.EpochTrainLoss, b.EpochTrainLoss);
        Assert.Equal(a.Best!.Loss, b.Best!.Loss);
    }

    [Fact]
    public void ARunWithoutValidationStillWritesItsMetrics()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 2, 1, 2);
        var result = new ModelTrainer(Tiny(data, "all") with { Epochs = 2, ValFolds = [], ValFraction = 0 }, TextWriter.Null).Run();
        Assert.Null(result.Best);
        using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "metrics.json")));
        Assert.Equal(2, metrics.RootElement.GetProperty("best_epoch").GetInt32());
        Assert.StartsWith("none", metrics.RootElement.GetProperty("validation").GetString());
        Assert.InRange(metrics.RootElement.GetProperty("train_accuracy").GetDouble(), 0, 1);
        Assert.True(File.Exists(Path.Combine(result.RunDirectory, "best.dat")));
    }

    [Fact]
    public void TestFoldsAreNeitherTrainedOnNorUsedToChoose()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 2, 1, 2);
        var result = new ModelTrainer(Tiny(data, "held") with { Epochs = 2, ValFolds = [], TestFolds = [2] }, TextWriter.Null).Run();
        Assert.NotNull(result.Test);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "config.json")));
        var split = config.RootElement.GetProperty("dataset");
        Assert.Contains("test folds 2 held out", split.GetProperty("split").GetString());
        int clips = split.GetProperty("clips").GetInt32();
        Assert.Equal(clips / 2, split.GetProperty("train").GetInt32() + split.GetProperty("validation").GetInt32()); // fold 1 only
        Assert.True(File.Exists(Path.Combine(result.RunDirectory, "test_metrics.json")));
        Assert.Throws<ArgumentException>(() => new ModelTrainer(Tiny(data, "overlap") with { ValFolds = [2], TestFolds = [2] }, TextWriter.Null).Run());
    }

    [Fact]
    public void CrossValidationReportsEveryFold()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 2, 1, 2);
        var summary = new CrossValidator(Tiny(data, "cv") with { Epochs = 1, ValFolds = [] }, TextWriter.Null).Run();
        Assert.Equal([1, 2], summary.FoldAccuracy.Keys);
        Assert.Contains("±", summary.ToText());
        Assert.True(File.Exists(Path.Combine(summary.Directory, "cv.json")));
        Assert.True(File.Exists(Path.Combine(summary.Directory, "fold1", "best.dat")));
        // Honest: each fold's figure is its test score with the checkpoint chosen on an inner validation split.
        using var test = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(summary.Directory, "fold1", "test_metrics.json")));
        Assert.Equal(summary.FoldAccuracy[1], test.RootElement.GetProperty("evaluation").GetProperty("accuracy").GetDouble());
        Assert.Contains("honest", File.ReadAllText(Path.Combine(summary.Directory, "cv.json")));

        // Without an inner split every training clip is trained on for the fixed epoch count; the last epoch is scored.
        var fixedEpochs = new CrossValidator(Tiny(data, "cv-fixed") with { Epochs = 2, ValFolds = [], ValFraction = 0 }, TextWriter.Null).Run();
        using (var fixedTest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(fixedEpochs.Directory, "fold2", "test_metrics.json"))))
            Assert.Equal(2, fixedTest.RootElement.GetProperty("chosen_epoch").GetInt32());
        Assert.Contains("fixed epoch count", File.ReadAllText(Path.Combine(fixedEpochs.Directory, "cv.json")));
        Assert.Equal(fixedEpochs.FoldAccuracy.Keys, fixedEpochs.QuieterFoldAccuracy.Keys);

        var restricted = new CrossValidator(Tiny(data, "cv-one") with { Epochs = 1, ValFolds = [2] }, TextWriter.Null).Run();
        Assert.Equal([2], restricted.FoldAccuracy.Keys);
        Assert.Throws<Data.DatasetException>(() => new CrossValidator(Tiny(data, "cv-bad") with { ValFolds = [7] }, TextWriter.Null).Run());
    }

    [Fact]
    public void AnInterruptedCrossValidationResumesFromTheFinishedFolds()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 2, 1, 2);
        var config = Tiny(data, "cv-resume") with { Epochs = 1, ValFolds = [] };
        var first = new CrossValidator(config, TextWriter.Null).Run();
        string fold1 = Path.Combine(first.Directory, "fold1", "best.dat"), fold2 = Path.Combine(first.Directory, "fold2");
        var fold1Written = File.GetLastWriteTimeUtc(fold1);
        // Fold 2 dies midway: its test score was never written, and a half-written epoch line is left behind.
        File.Delete(Path.Combine(fold2, "test_metrics.json"));
        File.AppendAllText(Path.Combine(fold2, "metrics.jsonl"), "{\"epoch\": 2, \"train_lo");

        var log = new StringWriter();
        var resumed = new CrossValidator(config with { Threads = 1 }, log).Run();
        Assert.Contains("fold 1: finished earlier", log.ToString());
        Assert.Contains("fold 2: ", log.ToString());
        Assert.Contains("training it again", log.ToString());
        Assert.Equal(fold1Written, File.GetLastWriteTimeUtc(fold1));
        Assert.Equal(first.FoldAccuracy, resumed.FoldAccuracy);
        Assert.Single(File.ReadAllLines(Path.Combine(fold2, "metrics.jsonl")));

        // A fold trained before newer settings existed (its config.json lacks them) is still reused: they count as
        // their defaults.
        var configFile = Path.Combine(first.Directory, "fold1", "config.json");
        var saved = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configFile))!;
        foreach (var newer in new[] { "outliers", "outlier_weight", "outlier_batch", "centred_channel" })
            Assert.True(saved["config"]!.AsObject().Remove(newer), newer);
        foreach (var newer in new[] { "pitch_shift_semitones", "time_stretch", "eq_db", "background_probability", "background_min_snr_db", "background_max_snr_db", "freq_mixstyle_probability", "freq_mixstyle_alpha" })
            Assert.True(saved["config"]!["augment"]!.AsObject().Remove(newer), newer);
        Assert.Equal(ModelTrainer.TrainingRevision, saved["training_revision"]!.GetValue<int>());
        File.WriteAllText(configFile, saved.ToJsonString());
        var older = new StringWriter();
        new CrossValidator(config, older).Run();
        Assert.Contains("fold 1: finished earlier", older.ToString());
        Assert.Equal(fold1Written, File.GetLastWriteTimeUtc(fold1));

        // One from an older training revision is trained again: revision 3 scores clips longer than one window (these
        // 5 s clips in 2.5 s windows) as the service does, and a fold's files cannot rule such clips out.
        saved["training_revision"] = 2;
        File.WriteAllText(configFile, saved.ToJsonString());
        var beforeScoring = new StringWriter();
        new CrossValidator(config, beforeScoring).Run();
        Assert.Contains("trains or scores these settings differently", beforeScoring.ToString());
        Assert.DoesNotContain("fold 1: finished earlier", beforeScoring.ToString());
        Assert.NotEqual(fold1Written, File.GetLastWriteTimeUtc(fold1));

        // Different settings under the same name are not mistaken for finished folds.
        var changed = new StringWriter();
        new CrossValidator(config with { Epochs = 2 }, changed).Run();
        Assert.DoesNotContain("finished earlier", changed.ToString());
    }

    [Fact]
    public void InputsCommandWritesTheArraysTrainingSees()
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 2, 1, 2);
        var output = Path.Combine(_dir, "inputs");
        var stdout = new StringWriter();
        int code = TrainerCommand.Create().Parse(["inputs", "--dataset", data, "--out", output, "--n-mels", "32", "--frames", "40", "--window-seconds", "0.906", "--cache-dir", Path.Combine(_dir, "cache")])
            .Invoke(new System.CommandLine.InvocationConfiguration { Output = stdout, Error = TextWriter.Null });
        Assert.Equal(0, code);
        var (inputs, shape) = Audio.IO.NpyFile.Read(Path.Combine(output, "inputs.npy"));
        Assert.Equal([8, 32, 40], shape);
        Assert.Equal([0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f], Audio.IO.NpyFile.Read(Path.Combine(output, "labels.npy")).Data);
        Assert.Equal([1f, 1f, 2f, 2f, 1f, 1f, 2f, 2f], Audio.IO.NpyFile.Read(Path.Combine(output, "folds.npy")).Data);
        Assert.Equal(8, File.ReadAllLines(Path.Combine(output, "files.txt")).Length);
        Assert.All(inputs, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void CommandLineReportsBadDatasetsClearly()
    {
        var error = new StringWriter();
        int code = TrainerCommand.Create().Parse(["train", "--dataset", Path.Combine(_dir, "nope")]).Invoke(new System.CommandLine.InvocationConfiguration { Error = error, Output = TextWriter.Null });
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error.ToString());
    }

    [Fact]
    public void ConfigFileAndFlagsCombine()
    {
        var file = Path.Combine(_dir, "config.json");
        File.WriteAllText(file, """{ "epochs": 3, "optimizer": "sgd", "augment": { "mixup_alpha": 0.4 } }""");
        var options = new TrainingOptions();
        var command = new System.CommandLine.Command("t");
        options.AddTo(command);
        var config = options.Resolve(command.Parse(["--config", file, "--dataset", "x", "--lr", "0.05"]));
        Assert.Equal((3, "sgd", 0.05, 0.4), (config.Epochs, config.Optimizer, config.LearningRate, config.Augment.MixupAlpha));
        var seed = options.Resolve(command.Parse(["--recipe", "seed", "--dataset", "x"]));
        Assert.Equal(FeatureSpec.Seed, seed.Features);
        // The notebook's settings: SGD lr 0.005 momentum 0.9, batch 8, dropout 0.25 before the head, StepLR, 6 epochs.
        Assert.Equal(("sgd", 0.005, 0.9, 8, 0.25, "step", 6), (seed.Optimizer, seed.LearningRate, seed.Momentum, seed.BatchSize, seed.Dropout, seed.Scheduler, seed.Epochs));

        // Feature settings are flags on train as on `audioclf features`: overrides on top of the recipe's preset.
        var shortClips = options.Resolve(command.Parse(["--recipe", "seed", "--dataset", "x", "--sr", "8000", "--n-mels", "40", "--frames", "41", "--window-seconds", "1"]));
        Assert.Equal(FeatureSpec.Seed with { SampleRate = 8000, NMels = 40, Frames = 41, FMax = 4000, WindowSeconds = 1, WindowHopSeconds = 0.5 }, shortClips.Features);
        // Frames that do not cover the window (the seed's 3 s window at 8 kHz is 121 frames) are refused by name.
        Assert.Contains("give --frames 121", Assert.Throws<ArgumentException>(() => options.Resolve(command.Parse(["--recipe", "seed", "--dataset", "x", "--sr", "8000", "--frames", "63"]))).Message);
        var preset = options.Resolve(command.Parse(["--recipe", "seed", "--dataset", "x", "--features", "default", "--hop", "256", "--frames", "431"]));
        Assert.Equal(FeatureSpec.Default with { HopLength = 256, Frames = 431 }, preset.Features);
        Assert.Throws<InvalidFeatureSpecException>(() => options.Resolve(command.Parse(["--dataset", "x", "--n-mels", "0"])));

        // Spectral colouring and background mixing: flags, and out-of-range values refused by name.
        var coloured = options.Resolve(command.Parse(["--dataset", "x", "--eq-db", "10", "--background", "0.5"]));
        Assert.Equal((10.0, 0.5), (coloured.Augment.EqDb, coloured.Augment.BackgroundProbability));
        Assert.Contains("background_probability", Assert.Throws<ArgumentException>(() => options.Resolve(command.Parse(["--dataset", "x", "--background", "1.5"]))).Message);
        Assert.Contains("eq_db", Assert.Throws<ArgumentException>(() => options.Resolve(command.Parse(["--dataset", "x", "--eq-db", "-1"]))).Message);

        // The band-centred second channel: off unless asked for, by flag or config file.
        Assert.False(options.Resolve(command.Parse(["--dataset", "x"])).CentredChannel);
        Assert.True(options.Resolve(command.Parse(["--dataset", "x", "--centred-channel", "true"])).CentredChannel);
    }

    private static IEnumerable<byte[]> Records(string path)
    {
        var bytes = File.ReadAllBytes(path);
        for (int pos = 0; pos < bytes.Length;)
        {
            long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(pos));
            Assert.Equal(Tracking.Crc32C.Masked(bytes.AsSpan(pos, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 8)));
            var data = bytes.AsSpan(pos + 12, (int)length).ToArray();
            Assert.Equal(Tracking.Crc32C.Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 12 + (int)length)));
            yield return data;
            pos += 12 + (int)length + 4;
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
