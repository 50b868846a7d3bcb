namespace AudioClassifier.Cli.Tests;

/// <summary><c>audioclf classify</c> on real clips with a real exported model.</summary>
public sealed class ClassifyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-classify-").FullName;
    private readonly string _model;

    public ClassifyCommandTests() => _model = TestModels.Write(_dir);

    [Fact]
    public void ClassifiesOneFileToStdout()
    {
        var ogg = Directory.GetFiles(SharedData.Path("datasets", "esc10", "002 - Rain"), "*.ogg").Order().First();
        var (code, output, error) = CliRunner.Run("classify", ogg, "--model", _model, "--top-k", "2", "--provider", "cpu");
        Assert.True(code == 0, error);
        var lines = output.Trim().Split('\n');
        Assert.Equal("path,label,score,label_2,score_2,silent,recognised,recognition_score,events,error", lines[0].Trim());
        var cells = lines[1].Trim().Split(',');
        Assert.Equal(ogg, cells[0]);
        Assert.Contains(cells[1], TestModels.Labels);
        Assert.InRange(double.Parse(cells[2], System.Globalization.CultureInfo.InvariantCulture), 0, 1);
    }

    [Fact]
    public void ClassifiesAFolderToCsvWithProgress()
    {
        var folder = SharedData.Path("datasets", "urbansound8k-mini", "audio");
        var csv = Path.Combine(_dir, "preds.csv");
        var (code, output, error) = CliRunner.Run("classify", folder, "--model", _model, "--out", csv, "-k", "3", "--provider", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains("15 clip(s) classified", output);
        // Redirected (here a StringWriter): progress lines, not carriage-return frames.
        Assert.Contains("classifying [", error);
        Assert.Contains("15/15", error);
        Assert.DoesNotContain('\r', error);
        var rows = File.ReadAllLines(csv);
        Assert.Equal(16, rows.Length);
        Assert.Equal("path,label,score,label_2,score_2,label_3,score_3,silent,recognised,recognition_score,events,error", rows[0]);   // the same columns whatever the clips
    }

    [Fact]
    public void SilentClipsAndEventsAreInBothFormats()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "quiet")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "a-silence.wav"), WavBuilder.Pcm16(new short[16000 * 2], 16000, 1));
        File.WriteAllBytes(Path.Combine(folder, "b-tone.wav"), WavBuilder.Pcm16(WavBuilder.Sine(16000, 4, 440), 16000, 1));
        var (code, output, error) = CliRunner.Run("classify", folder, "--model", _model, "--provider", "cpu", "--format", "json");
        Assert.True(code == 0, error);
        var rows = System.Text.Json.JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.True(rows[0].GetProperty("silent").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[0].GetProperty("label").ValueKind);
        Assert.False(rows[1].GetProperty("silent").GetBoolean());
        Assert.NotEmpty(rows[1].GetProperty("events").EnumerateArray());

        (code, output, error) = CliRunner.Run("classify", folder, "--model", _model, "--provider", "cpu", "-k", "1");
        Assert.True(code == 0, error);
        var lines = output.Trim().Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Equal("path,label,score,silent,recognised,recognition_score,events,error", lines[0]);
        Assert.EndsWith(",,true,,,,", lines[1]);
        Assert.EndsWith(",false,,,,", lines[2]);
    }

    [Fact]
    public void BadFilesAreReportedAndTheRestClassified()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "mixed")).FullName;
        File.WriteAllText(Path.Combine(folder, "broken.wav"), "not audio");
        File.WriteAllBytes(Path.Combine(folder, "tone.wav"), WavBuilder.Pcm16(WavBuilder.Sine(16000, 1, 440), 16000, 1));
        File.WriteAllText(Path.Combine(folder, "._tone.wav"), "a macOS resource fork");   // hidden: not a clip
        var (code, output, error) = CliRunner.Run("classify", folder, "--model", _model, "--provider", "cpu");
        Assert.DoesNotContain("._tone.wav", output + error);
        Assert.Equal(ExitCodes.BadAudio, code);
        Assert.Contains("broken.wav: cannot decode (UnsupportedFormat)", error);
        Assert.Contains("tone.wav", output);
        Assert.Contains("broken.wav,,,,,,,\"cannot decode (UnsupportedFormat)", output); // the CSV error row: every cell empty but the error
    }

    [Fact]
    public void NonFiniteSamplesAreAnErrorRowAndTheOtherClipsAreStillWritten()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "float")).FullName;
        var samples = Enumerable.Range(0, 16000).Select(i => (float)(0.3 * Math.Sin(i * 0.05))).ToArray();
        File.WriteAllBytes(Path.Combine(folder, "good.wav"), WavBuilder.Build(3, 1, 16000, 32, samples.SelectMany(BitConverter.GetBytes).ToArray()));
        samples[100] = float.NaN;
        File.WriteAllBytes(Path.Combine(folder, "nan.wav"), WavBuilder.Build(3, 1, 16000, 32, samples.SelectMany(BitConverter.GetBytes).ToArray()));
        var json = Path.Combine(_dir, "float.json");

        var (code, output, error) = CliRunner.Run("classify", folder, "--model", _model, "--provider", "cpu", "--format", "json", "--out", json);

        Assert.Equal(ExitCodes.BadAudio, code);
        Assert.Contains("1 clip(s) classified", output);
        Assert.Contains("1 failed", output);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.EnumerateArray().ToDictionary(r => Path.GetFileName(r.GetProperty("path").GetString()!));
        Assert.Contains(rows["good.wav"].GetProperty("label").GetString(), TestModels.Labels);
        Assert.Contains("non-finite sample value (NaN)", rows["nan.wav"].GetProperty("error").GetString());
        Assert.Contains("nan.wav", error);
    }

    [Fact]
    public void MissingModelOrInputIsAUsageError()
    {
        Assert.Equal(ExitCodes.InvalidArguments, CliRunner.Run("classify", _dir, "--model", Path.Combine(_dir, "none.onnx")).ExitCode);
        Assert.Equal(ExitCodes.InvalidArguments, CliRunner.Run("classify", Path.Combine(_dir, "nothing"), "--model", _model).ExitCode);
        var (code, _, error) = CliRunner.Run("classify", _dir, "--model", _model, "-k", "0");
        Assert.Equal(ExitCodes.InvalidArguments, code);
        Assert.Contains("--top-k must be at least 1 (got 0)", error);
    }

    [Fact]
    public async Task ClassifiesThroughARunningServiceAsJson()
    {
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = _model, ["Classifier__ExecutionProvider"] = "Cpu", ["Service__ApiKey"] = "cli-key",
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        var folder = SharedData.Path("datasets", "urbansound8k-mini", "audio", "fold2");
        var json = Path.Combine(_dir, "preds.json");
        var (code, output, error) = CliRunner.Run("classify", folder, "--url", service.BaseAddress.ToString(), "--api-key", "cli-key", "--format", "json", "--out", json, "-k", "2");
        Assert.True(code == 0, error);
        Assert.Contains("the service at", output);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(3, doc.RootElement.GetArrayLength());
        Assert.Equal(2, doc.RootElement[0].GetProperty("top_k").GetArrayLength());
        Assert.Contains(doc.RootElement[0].GetProperty("label").GetString(), TestModels.Labels);

        // Refused by the service (no key): nothing more is sent, and every clip is written as not classified, with why.
        var refused = Path.Combine(_dir, "refused.csv");
        var (denied, _, deniedError) = CliRunner.Run("classify", folder, "--url", service.BaseAddress.ToString(), "--out", refused);
        Assert.Equal(ExitCodes.Failure, denied);
        Assert.Contains("API key", deniedError);
        var refusedRows = File.ReadAllLines(refused);
        Assert.Equal(4, refusedRows.Length);
        Assert.All(refusedRows.Skip(1), row => Assert.Contains("not classified: 401", row));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
