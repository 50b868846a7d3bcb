using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AudioClassifier.Audio.IO;

namespace AudioClassifier.Cli.Tests;

/// <summary>
/// <c>audioclf contract</c> on a small CNN really exported by PyTorch (tests/fixtures/pytorch, made by its script with
/// Debian's python3-torch): stamped with the seed preset and its labels, the service serves it, and its probabilities
/// for a clip and for reference log-mel matrices (torchaudio semantics) are PyTorch's own, within 1e-4. Settings or
/// labels that cannot match the graph are refused with the reason.
/// </summary>
public sealed class ContractCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-contract-").FullName;
    private static string Fixture(string name) => Path.Combine(SharedData.RepositoryRoot, "tests", "fixtures", "pytorch", name);

    private static JsonElement Expected() => JsonDocument.Parse(File.ReadAllText(Fixture("expected.json"))).RootElement.GetProperty("probabilities");

    private string StampSeed()
    {
        var stamped = Path.Combine(_dir, "pytorch-cnn.onnx");
        var (code, output, error) = CliRunner.Run("contract", "stamp", Fixture("small-cnn.onnx"), "--labels", Fixture("labels.txt"), "--preset", "seed",
            "--name", "pytorch-cnn", "--version", "0.1.0", "--dataset", "none (random weights)", "--license", "CC0", "-o", stamped);
        Assert.True(code == 0, error);
        Assert.Contains("input log_mel [batch, 1, 64, 330]", output);
        return stamped;
    }

    [Fact]
    public void ShowTellsAForeignModelFromAStampedOne()
    {
        var (code, output, _) = CliRunner.Run("contract", "show", Fixture("small-cnn.onnx"));
        Assert.Equal(0, code);
        Assert.Contains("produced by pytorch", output);
        Assert.Contains("input  input [?, 1, 64, 330]", output);
        Assert.Contains("no audioclf contract", output);

        (code, output, _) = CliRunner.Run("contract", "show", StampSeed());
        Assert.Equal(0, code);
        Assert.Contains("input  log_mel [?, 1, 64, 330]", output);
        Assert.Contains("output probabilities [?, 3]", output);
        Assert.Contains("contract: pytorch-cnn 0.1.0, 3 labels: dog_bark, car_horn, siren", output);
        Assert.Contains("\"n_mels\":64", output);
    }

    [Fact]
    public void SettingsOrLabelsThatCannotMatchTheGraphAreRefused()
    {
        var target = Path.Combine(_dir, "x.onnx");
        var (code, _, error) = CliRunner.Run("contract", "stamp", Fixture("small-cnn.onnx"), "--labels", Fixture("labels.txt"), "--preset", "default", "-o", target);
        Assert.Equal(ExitCodes.InvalidArguments, code);
        Assert.Contains("is [?, 1, 64, 330], but the feature settings give [batch, 1, 128, 216]", error);

        var four = Path.Combine(_dir, "four.txt");
        File.WriteAllLines(four, ["a", "b", "c", "d"]);
        (code, _, error) = CliRunner.Run("contract", "stamp", Fixture("small-cnn.onnx"), "--labels", four, "--preset", "seed", "-o", target);
        Assert.Equal(ExitCodes.InvalidArguments, code);
        Assert.Contains("4 labels need [batch, 4] logits", error);

        var repeated = Path.Combine(_dir, "repeated.txt");
        File.WriteAllLines(repeated, ["a", "a", "b"]);
        (code, _, error) = CliRunner.Run("contract", "stamp", Fixture("small-cnn.onnx"), "--labels", repeated, "--preset", "seed", "-o", target);
        Assert.Equal(ExitCodes.InvalidArguments, code);
        Assert.Contains("unique", error);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task TheServiceAnswersWhatPyTorchAnswers()
    {
        var stamped = StampSeed();
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = stamped,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__WatchModelFile"] = "false",
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        var expected = Expected();
        string[] labels = ["dog_bark", "car_horn", "siren"];

        // A 0.65 s clip through /classify: decoded, resampled and turned into log-mel by the service (one window).
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(SharedData.Path("reference", "inputs", "us8k-horn-short.wav")));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        var answer = await (await service.Client.PostAsync("/classify?top_k=3", content)).Content.ReadFromJsonAsync<JsonElement>();
        var scores = answer.GetProperty("top_k").EnumerateArray().ToDictionary(e => e.GetProperty("label").GetString()!, e => e.GetProperty("score").GetDouble());
        var torch = expected.GetProperty("us8k-horn-short").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int c = 0; c < labels.Length; c++)
            Assert.True(Math.Abs(scores[labels[c]] - torch[c]) <= 1e-4, $"{labels[c]}: service {scores[labels[c]]:0.000000}, PyTorch {torch[c]:0.000000}");

        // Reference log-mel matrices (torchaudio semantics) of two 4 s clips as the model's own input, in one request.
        string[] clips = ["dog-22050-float-mono", "us8k-dog-44k-stereo"];
        var features = clips.SelectMany(c => NpyFile.Read(SharedData.Path("reference", "seed", c + ".npy")).Data).ToArray();
        var infer = await service.Client.PostAsJsonAsync("/v2/models/pytorch-cnn/infer", new
        {
            inputs = new[] { new { name = "log_mel", datatype = "FP32", shape = new[] { 2, 1, 64, 330 }, data = features } },
            outputs = new[] { new { name = "probabilities" } },
        });
        var body = await infer.Content.ReadAsStringAsync();
        Assert.True(infer.IsSuccessStatusCode, body);
        var probabilities = JsonDocument.Parse(body).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < clips.Length; i++)
        {
            var reference = expected.GetProperty(clips[i]).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (int c = 0; c < labels.Length; c++)
                Assert.True(Math.Abs(probabilities[i * 3 + c] - reference[c]) <= 1e-4, $"{clips[i]} {labels[c]}: service {probabilities[i * 3 + c]:0.000000}, PyTorch {reference[c]:0.000000}");
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
