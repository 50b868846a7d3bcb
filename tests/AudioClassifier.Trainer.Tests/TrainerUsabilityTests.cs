using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Model;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary>What a new user of <c>audioclf-train</c> runs into with their own data, settings and interrupted runs:
/// each mistake is refused with a message naming it (exit 2), never a stack trace or a silently wrong model.</summary>
[Collection(TorchCollection.Name)]
public sealed class TrainerUsabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-usability-").FullName;

    [Fact]
    public void AnEmptyClassFolderIsRefusedInsteadOfBecomingALabel()
    {
        var root = TinyDatasets.Folders(Path.Combine(_dir, "ds"), 2, 2, 1);
        Directory.CreateDirectory(Path.Combine(root, "Empty class"));

        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(root));
        Assert.Contains("'Empty class'", e.Message);
        Assert.Contains("no audio clips", e.Message);

        var (code, _, error) = TrainerCli.Run("train", "--dataset", root, "--runs-dir", Path.Combine(_dir, "runs"), "--epochs", "1", "--threads", "1");
        Assert.Equal(2, code);
        Assert.Contains("'Empty class'", error);
    }

    [Fact]
    public void ClipsInSubfoldersAreTrainedOnAndOtherFilesAreReported()
    {
        var root = TinyDatasets.Folders(Path.Combine(_dir, "ds"), 2, 2, 1);
        var dog = Directory.GetDirectories(root).Order().First();
        var moved = Directory.GetFiles(dog).Order().First();
        Directory.CreateDirectory(Path.Combine(dog, "session 2"));
        File.Move(moved, Path.Combine(dog, "session 2", Path.GetFileName(moved)));
        File.WriteAllText(Path.Combine(dog, "README.txt"), "notes");
        File.WriteAllBytes(Path.Combine(dog, "take.flac"), [0x66, 0x4C, 0x61, 0x43]);
        File.WriteAllBytes(Path.Combine(dog, ".DS_Store"), [0]);
        Directory.CreateDirectory(Path.Combine(root, ".ipynb_checkpoints"));

        var ds = DatasetLoader.Load(root);

        Assert.Equal(2, ds.Classes.Count);
        Assert.Equal(4, ds.Items.Count);
        Assert.Contains(ds.Items, i => i.Path.Contains("session 2", StringComparison.Ordinal));
        Assert.Equal([Path.Combine(Path.GetFileName(dog), "README.txt"), Path.Combine(Path.GetFileName(dog), "take.flac")], ds.Skipped.Order(StringComparer.Ordinal));
        Assert.True(Path.IsPathFullyQualified(ds.Root));
    }

    [Fact]
    public void ValidationFoldsOnADatasetWithoutFoldsAreRefused()
    {
        var root = TinyDatasets.Folders(Path.Combine(_dir, "ds"), 2, 3, 1);
        foreach (var file in Directory.GetFiles(root, "*.ogg", SearchOption.AllDirectories))
            File.Move(file, Path.Combine(Path.GetDirectoryName(file)!, "clip " + Path.GetFileName(file)[2..]));
        var ds = DatasetLoader.Load(root);
        Assert.False(ds.HasFolds);

        var (code, _, error) = TrainerCli.Run("train", "--dataset", root, "--val-folds", "3", "--runs-dir", Path.Combine(_dir, "runs"), "--threads", "1");
        Assert.Equal(2, code);
        Assert.Contains("--val-fraction", error);
    }

    [Fact]
    public void AConfigFileMergesNestedSettingsIntoTheRecipeAndNamesWhatIsWrong()
    {
        var partial = Write("partial.json", """{"augment": {"gain_db": 5}, "features": {"n_mels": 32, "padding": "repeat"}}""");
        var seed = TrainingConfig.FromFile(partial, TrainingConfig.SeedRecipe);
        Assert.Equal(5, seed.Augment.GainDb);
        Assert.Equal(TrainingConfig.SeedRecipe.Augment with { GainDb = 5 }, seed.Augment);   // the seed recipe's other augmentations stay off
        Assert.Equal(FeatureSpec.Seed with { NMels = 32, Padding = FramePadding.Repeat }, seed.Features);   // padding: left out of JSON at its default

        // A run's whole config.json works as a config file.
        var run = Write("config.json", $$"""{"config": {{(TrainingConfig.DefaultRecipe with { Epochs = 7, RunName = "old", Features = FeatureSpec.Default with { Padding = FramePadding.Floor } }).ToJson()}}, "classes": ["a", "b"], "feature_spec_json": "{}"}""");
        var again = TrainingConfig.FromFile(run, TrainingConfig.DefaultRecipe);
        Assert.Equal((7, FramePadding.Floor, null), (again.Epochs, again.Features.Padding, again.RunName));   // not that run's folder

        var typo = Assert.Throws<ArgumentException>(() => TrainingConfig.FromFile(Write("typo.json", """{"augment": {"gain_bd": 5}}"""), TrainingConfig.DefaultRecipe));
        Assert.Contains("unknown setting 'augment.gain_bd'", typo.Message);
        Assert.Contains("gain_db", typo.Message);

        var (code, _, error) = TrainerCli.Run("train", "--dataset", _dir, "--config", Write("comma.json", """{"epochs": 1,}"""));
        Assert.Equal(2, code);
        Assert.Contains("is not valid JSON", error);
        Assert.DoesNotContain("Unhandled", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void ACommandLineThatDoesNotParseExitsWithTheUsageCode()
    {
        var notANumber = TrainerCli.Run("train", "--epochs", "abc");
        Assert.Equal(2, notANumber.Code);
        Assert.Contains("'abc' for option '--epochs' as a whole number", notANumber.Error);
        Assert.DoesNotContain("System.", notANumber.Error);
        Assert.Contains("as zeros, floor or repeat", TrainerCli.Run("train", "--padding", "middle").Error);
        // The suggestions are the option's values as written (System.CommandLine lists the enum's capitalised names).
        var misspelt = TrainerCli.Run("train", "--padding", "flor").Error;
        Assert.Contains("Did you mean floor", misspelt);
        Assert.DoesNotContain("Floor", misspelt);
        Assert.Equal(2, TrainerCli.Run("train", "--centred-channel", "maybe").Code);
        Assert.Equal(2, TrainerCli.Run().Code);
        var (code, _, error) = TrainerCli.Run("train", "--dataset", _dir, "--layout", "bogus");
        Assert.Equal(2, code);
        Assert.Contains("layout must be auto, urbansound8k, esc50 or folders (got 'bogus')", error);
        Assert.DoesNotContain("(Parameter", error);
    }

    [Fact]
    public async Task CtrlCSaysWhatTheRunFolderKeeps()
    {
        var root = TinyDatasets.Folders(Path.Combine(_dir, "ds"), 2, 4, 1);
        // Started under coreutils' timeout, which hands its child SIGINT at its default and passes on the SIGINT it gets:
        // a test run started as a background job of a script inherits SIGINT ignored (as a shell leaves it for such jobs),
        // and a .NET process keeps an inherited ignore, so the trainer would rightly sit out the Ctrl-C this test sends.
        var start = new System.Diagnostics.ProcessStartInfo("timeout") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "10m", "dotnet", Path.Combine(AppContext.BaseDirectory, "audioclf-train.dll"), "train", "--dataset", root, "--runs-dir", Path.Combine(_dir, "runs"), "--epochs", "500", "--val-fraction", "0", "--threads", "1" })
            start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        // The trainer logs to stderr; wait for a finished epoch there, then send SIGINT as Ctrl-C does.
        var error = new System.Text.StringBuilder();
        var epochDone = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (error)
                error.AppendLine(e.Data);
            if (e.Data?.StartsWith("epoch 1/500:", StringComparison.Ordinal) == true)
                epochDone.TrySetResult();
        };
        process.BeginErrorReadLine();
        await epochDone.Task.WaitAsync(TimeSpan.FromMinutes(2));

        System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "still running after Ctrl-C");
        process.WaitForExit(); // the redirected streams drained
        Assert.NotEqual(0, process.ExitCode);
        lock (error)
            Assert.Contains("interrupted (Ctrl-C): the run folder keeps the epochs finished so far", error.ToString());
    }

    [Fact]
    public void ARunsFolderThatCannotBeMadeIsNamedWithItsOption()
    {
        var root = TinyDatasets.Folders(Path.Combine(_dir, "ds"), 2, 2, 1);
        var (code, _, error) = TrainerCli.Run("train", "--dataset", root, "--runs-dir", "/proc/runs", "--epochs", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains("Cannot create the run folder /proc/runs/", error);
        Assert.Contains("(--runs-dir /proc/runs)", error);
    }

    [Fact]
    public void TrainingIntoARunThatExistsIsRefused()
    {
        var root = TinyDatasets.Folders(Path.Combine(_dir, "ds"), 2, 2, 1);
        var runs = Directory.CreateDirectory(Path.Combine(_dir, "runs", "r1")).Parent!.FullName;
        File.WriteAllText(Path.Combine(runs, "r1", "metrics.jsonl"), "{}\n");

        var (code, _, error) = TrainerCli.Run("train", "--dataset", root, "--runs-dir", runs, "--run-name", "r1", "--epochs", "1", "--threads", "1");

        Assert.Equal(2, code);
        Assert.Contains("already exists", error);
        Assert.Equal("{}\n", File.ReadAllText(Path.Combine(runs, "r1", "metrics.jsonl")));
    }

    [Fact]
    public void ACheckpointIsReplacedWholeAndACutShortOneIsNamedAsSuch()
    {
        var path = Path.Combine(_dir, "best.dat");
        using (var model = new AudioResNet18(2, 0, false))
        {
            Checkpoint.Save(model, path);
            Checkpoint.Save(model, path);
        }
        Assert.Equal(["best.dat"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        using var other = new AudioResNet18(2, 0, false);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(other, path));
        Assert.Contains("not a complete checkpoint", e.Message);
    }

    [Fact]
    public void AnUnfinishedRunIsNotExportedSilently()
    {
        var run = Directory.CreateDirectory(Path.Combine(_dir, "stopped")).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"), "{}");
        File.WriteAllBytes(Path.Combine(run, "best.dat"), [0]);

        var (code, _, error) = TrainerCli.Run("export", "--run", run, "--out", Path.Combine(_dir, "m.onnx"));

        Assert.Equal(2, code);
        Assert.Contains("did not finish", error);
        Assert.False(File.Exists(Path.Combine(_dir, "m.onnx")));

        (code, _, error) = TrainerCli.Run("export", "--run", run, "--out", _dir + "/");
        Assert.Equal(2, code);
        Assert.Contains("is a folder; give the model's file name", error);
    }

    [Fact]
    public void FramesThatDoNotCoverTheWindowAreRefused()
    {
        var eightKHz = FeatureSpec.Default with { SampleRate = 8000, FMax = 4000, NMels = 40, Frames = 63, WindowSeconds = 1, WindowHopSeconds = 0.5 };
        var e = Assert.Throws<ArgumentException>(() => (TrainingConfig.DefaultRecipe with { Dataset = _dir, Features = eightKHz }).Validate());
        Assert.Contains("give --frames 16", e.Message);

        (TrainingConfig.DefaultRecipe with { Dataset = _dir, Features = eightKHz with { HopLength = 128 } }).Validate();   // 1 + 8000 / 128 = 63
        (TrainingConfig.SeedRecipe with { Dataset = _dir }).Validate();   // the seed preset: 331 frames' worth in 330
    }

    [Fact]
    public void AFileThatIsNotAStateDictIsNotEchoedToTheTerminal()
    {
        var ogg = Directory.GetFiles(TinyDatasets.Esc10, "*.ogg", SearchOption.AllDirectories).Order().First();
        var e = Assert.Throws<InvalidDataException>(() => StateDictFile.Read(ogg));
        Assert.Contains("is not a TorchSharp state dict", e.Message);
        Assert.DoesNotContain("OggS", e.Message);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
