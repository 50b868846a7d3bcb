using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AudioClassifier.Onnx.Contract;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// "Not recognised": a model whose contract carries an open-set calibration answers recognised true or false from its
/// calibrated best probability and threshold; min_score overrides the threshold per request (and is checked).
/// </summary>
public sealed class RecognitionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-recognition-").FullName;

    private static ByteArrayContent Tone()
    {
        var content = new ByteArrayContent(WavBuilder.Pcm16(WavBuilder.Sine(22050, 1.5, 440), 22050, 1));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        return content;
    }

    [Fact]
    public async Task TheCalibratedThresholdDecidesAndMinScoreOverridesIt()
    {
        // Three labels: a random model's best probability is well below 0.99, so at that threshold nothing is recognised.
        var model = TestModels.Write(_dir, TestModels.Contract() with { OpenSet = new OpenSetCalibration { Temperature = 2, Threshold = 0.99 } });
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = model,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__WatchModelFile"] = "false",
        });
        Assert.True(await service.ReadyAsync(), service.Log);

        var answer = await (await service.Client.PostAsync("/classify", Tone())).Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(answer.GetProperty("recognised").GetBoolean());
        Assert.Equal(0.99, answer.GetProperty("threshold").GetDouble());
        Assert.Equal(JsonValueKind.String, answer.GetProperty("label").ValueKind); // the best class is still named
        // The score it was decided on: the best calibrated probability, named as such.
        Assert.Equal("max_probability", answer.GetProperty("recognition_score_type").GetString());
        Assert.Equal(answer.GetProperty("score").GetDouble(), answer.GetProperty("recognition_score").GetDouble(), 5);
        Assert.All(answer.GetProperty("events").EnumerateArray(), e => Assert.False(e.GetProperty("recognised").GetBoolean()));

        var lenient = await (await service.Client.PostAsync("/classify?min_score=0.1", Tone())).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(lenient.GetProperty("recognised").GetBoolean());
        Assert.Equal(0.1, lenient.GetProperty("threshold").GetDouble());
        // Calibration at T = 2 flattens the probabilities the model outputs, and they still sum to 1.
        Assert.Equal(1, lenient.GetProperty("top_k").EnumerateArray().Sum(e => e.GetProperty("score").GetDouble()), 3);

        var bad = await service.Client.PostAsync("/classify?min_score=1.5", Tone());
        await ClassifyTests.AssertProblem(bad, HttpStatusCode.BadRequest, "min_score must be between -1 and 1 (got 1.5)");

        // The Open Inference Protocol answers with the same score and decision, for an encoded clip and for the
        // clip's log-mel window.
        var wav = await Tone().ReadAsByteArrayAsync();
        var v2 = await (await service.Client.PostAsJsonAsync("/v2/models/test-resnet18/infer", new
        {
            inputs = new[] { new { name = "audio", datatype = "BYTES", shape = new[] { 1 }, data = new[] { Convert.ToBase64String(wav) } } },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var outputs = v2.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal("BOOL", outputs["recognised"].GetProperty("datatype").GetString());
        Assert.False(outputs["recognised"].GetProperty("data")[0].GetBoolean());
        Assert.Equal(answer.GetProperty("recognition_score").GetDouble(), outputs["recognition_score"].GetProperty("data")[0].GetDouble(), 5);
        var features = AudioClassifier.Audio.Features.LogMelExtractor.For(TestModels.SmallSpec)
            .Compute(WavBuilder.Sine(22050, 1.5, 440).Select(x => x / 32768f).ToArray()).Data;
        var window = await (await service.Client.PostAsJsonAsync("/v2/models/test-resnet18/infer", new
        {
            inputs = new[] { new { name = "log_mel", datatype = "FP32", shape = new[] { 1, 1, 32, 44 }, data = features } },
            outputs = new[] { new { name = "recognised" }, new { name = "recognition_score" } },
        })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(window.GetProperty("outputs")[0].GetProperty("data")[0].GetBoolean());
        Assert.Equal(answer.GetProperty("recognition_score").GetDouble(), window.GetProperty("outputs")[1].GetProperty("data")[0].GetDouble(), 4);
    }

    [Fact]
    public async Task AnUncalibratedModelRecognisesEverySoundAndSaysThereIsNoThreshold()
    {
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir),
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__WatchModelFile"] = "false",
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        var answer = await (await service.Client.PostAsync("/classify", Tone())).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(answer.GetProperty("recognised").GetBoolean());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("threshold").ValueKind);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
