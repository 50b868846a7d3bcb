using System.Text.Json;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Cli.Tests;

/// <summary>
/// <c>audioclf calibrate</c> end to end on a real exported model and real WAV files: training-similarity bank, known
/// outliers, the fitted threshold and temperature in the written model's contract, the report and per-clip scores,
/// and the decision <c>classify</c> then reports.
/// </summary>
public sealed class CalibrateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-calibrate-").FullName;

    // Labelled clips in the ESC-10 layout: one folder per label, 'N-' fold prefixes; a tone per label, varied.
    private string Labelled(string name, int folds, int perFold)
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        double[] baseHz = [220, 880, 2500];
        for (int label = 0; label < TestModels.Labels.Length; label++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, TestModels.Labels[label])).FullName;
            for (int fold = 1; fold <= folds; fold++)
            {
                for (int i = 0; i < perFold; i++)
                    File.WriteAllBytes(Path.Combine(dir, $"{fold}-{label}-{i}.wav"), WavBuilder.Pcm16(WavBuilder.Sine(22050, 1.5, baseHz[label] * (1 + 0.03 * (i + fold))), 22050, 1));
            }
        }
        return root;
    }

    private string Noises(string name, int count, int seed)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
            File.WriteAllBytes(Path.Combine(dir, $"noise-{i}.wav"), WavBuilder.Pcm16(Enumerable.Range(0, 22050).Select(_ => (short)rng.Next(-8000, 8000)).ToArray(), 22050, 1));
        return dir;
    }

    [Fact]
    public void FitsOnHeldOutClipsBuildsTheBanksAndTheServiceDecidesOnThem()
    {
        var model = TestModels.Write(_dir);
        var clips = Labelled("clips", folds: 2, perFold: 8);   // fold 1 trains (the bank), fold 2 is held out
        var outliers = Noises("outliers", 6, seed: 1);
        var ood = Noises("ood", 24, seed: 2);
        var calibrated = Path.Combine(_dir, "calibrated.onnx");
        var report = Path.Combine(_dir, "report.json");
        var scores = Path.Combine(_dir, "scores.csv");
        var (code, output, error) = CliRunner.Run("calibrate", model, "--reference", clips, "--reference-folds", "1", "--outliers", outliers,
            "--in-domain", clips, "--folds", "2", "--ood", ood, "-o", calibrated, "--report", report, "--scores", scores);
        Assert.True(code == 0, error + output);
        Assert.Contains("training clips", error); // progress

        var figures = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal("training_similarity", figures.GetProperty("score").GetString());
        Assert.Equal(24, figures.GetProperty("training_clip_windows").GetInt32());
        Assert.Equal(6, figures.GetProperty("outlier_windows").GetInt32());
        Assert.Equal(0.5, figures.GetProperty("outlier_ratio").GetDouble());
        var reported = figures.GetProperty("reported_on");
        Assert.Equal(24 + 24, reported.GetProperty("in_domain").GetInt32() + reported.GetProperty("out_of_domain").GetInt32() + figures.GetProperty("fitted_on").GetProperty("in_domain").GetInt32() + figures.GetProperty("fitted_on").GetProperty("out_of_domain").GetInt32());
        Assert.Equal(24 + 24 + 1, File.ReadAllLines(scores).Length);

        using var engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = calibrated, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        var open = engine.Contract.OpenSet!;
        Assert.Equal(OpenSetCalibration.Scores.TrainingSimilarity, open.Score);
        Assert.Equal(figures.GetProperty("threshold").GetDouble(), open.Threshold);
        Assert.Equal(0.5, open.OutlierRatio);
        Assert.Contains("\"open_set\"", engine.Contract.MetricsJson); // the figures travel with the model

        // classify reports the decision: a bank clip is recognised, a known-outlier-like noise is not.
        var pick = Directory.CreateDirectory(Path.Combine(_dir, "pick")).FullName;
        File.Copy(Path.Combine(clips, "dog", "1-0-0.wav"), Path.Combine(pick, "a-known.wav"));
        File.Copy(Path.Combine(ood, "noise-0.wav"), Path.Combine(pick, "b-noise.wav"));
        var (c2, json, e2) = CliRunner.Run("classify", pick, "--model", calibrated, "--format", "json");
        Assert.True(c2 == 0, e2);
        var rows = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.True(rows[0].GetProperty("recognised").GetBoolean());
        Assert.Equal(1, rows[0].GetProperty("recognition_score").GetDouble(), 3);
        Assert.Equal("training_similarity", rows[0].GetProperty("recognition_score_type").GetString());
        Assert.False(rows[1].GetProperty("recognised").GetBoolean());
        var (c3, csv, e3) = CliRunner.Run("classify", pick, "--model", calibrated, "-k", "1");
        Assert.True(c3 == 0, e3);
        var lines = csv.Trim().Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Equal("path,label,score,silent,recognised,recognition_score,events,error", lines[0]);
        Assert.Contains(",true,", lines[1]);
        Assert.Contains(",false,", lines[2]);
    }

    [Fact]
    public async Task LongClipsAreScoredAsTheServiceScoresThem()
    {
        // Four tones of 1.5 s one after the other: several 2 s windows, each with its own best label and probability
        // (calibrate needs 20 clips: the tones in 20 orders and pitches).
        var model = TestModels.Write(_dir);
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "long")).FullName;
        var rng = new Random(5);
        for (int i = 0; i < 20; i++)
        {
            var tones = new[] { 220.0, 2500, 880, 4000 }.OrderBy(_ => rng.Next()).SelectMany(hz => WavBuilder.Sine(22050, 1.5, hz * (1 + 0.02 * i))).ToArray();
            File.WriteAllBytes(Path.Combine(dir, $"tones-{i:00}.wav"), WavBuilder.Pcm16(tones, 22050, 1));
        }
        var calibrated = Path.Combine(_dir, "long.onnx");
        var scores = Path.Combine(_dir, "long.csv");
        var (code, output, error) = CliRunner.Run("calibrate", model, "--ood", dir, "--temperature", "0.7", "--threshold", "0.5", "-o", calibrated, "--scores", scores);
        Assert.True(code == 0, error + output);

        using var engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = calibrated, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        foreach (var row in File.ReadAllLines(scores).Skip(1).Select(l => l.Split(',')))
        {
            await using var stream = File.OpenRead(row[0]);
            var result = await engine.ClassifyAsync(stream);
            Assert.True(result.Timeline.Count > 2);
            Assert.Equal(result.RecognitionScore, double.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture), 5);
            Assert.Equal(result.Top!.Label, row[5]); // the label the clip's answer names
            Assert.Equal(engine.Contract.Labels.Count, row.Length - 6); // then every label's uncalibrated probability
            Assert.Equal(1, row.Skip(6).Sum(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)), 4);
        }
    }

    [Fact]
    public void RefusesWhatItCannotFit()
    {
        var model = TestModels.Write(_dir);
        var ood = Noises("ood", 24, seed: 3);
        var (code, _, error) = CliRunner.Run("calibrate", model, "--ood", ood, "-o", Path.Combine(_dir, "x.onnx"));
        Assert.NotEqual(0, code);
        Assert.Contains("--in-domain is needed", error);
        (code, _, error) = CliRunner.Run("calibrate", model, "--ood", ood, "--outliers", ood, "--temperature", "1", "--threshold", "0.5", "-o", Path.Combine(_dir, "x.onnx"));
        Assert.NotEqual(0, code);
        Assert.Contains("--outliers needs --reference", error);
        // A mistyped card is refused, not silently written afresh without the notes it was meant to keep.
        (code, _, error) = CliRunner.Run("calibrate", model, "--ood", ood, "--temperature", "1", "--threshold", "0.5", "-o", Path.Combine(_dir, "x.onnx"), "--card", Path.Combine(_dir, "model-card.md"));
        Assert.Equal(ExitCodes.InvalidArguments, code);
        Assert.Contains("--card", error);
        Assert.False(File.Exists(Path.Combine(_dir, "x.onnx")));
        // A negative probability threshold, or NaN, would write a model no engine loads.
        foreach (var bad in new[] { "-0.5", "NaN" })
        {
            (code, _, error) = CliRunner.Run("calibrate", model, "--ood", ood, "--temperature", "1", "--threshold", bad, "-o", Path.Combine(_dir, "x.onnx"));
            Assert.NotEqual(0, code);
            Assert.Contains("--threshold in [0, 1]", error);
        }
        // Held-out clips in the bank would make every new sound look unfamiliar.
        var clips = Labelled("overlap", folds: 1, perFold: 7);
        (code, _, error) = CliRunner.Run("calibrate", model, "--reference", clips, "--in-domain", clips, "--ood", ood, "-o", Path.Combine(_dir, "x.onnx"));
        Assert.NotEqual(0, code);
        Assert.Contains("both --reference", error);
        Assert.False(File.Exists(Path.Combine(_dir, "x.onnx")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
