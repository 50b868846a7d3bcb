using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AudioClassifier.Onnx.Export;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// IEEE-float WAVs holding NaN, infinity or absurd values are refused with a 400 that names the problem (they used to
/// come back as a 500 from the JSON writer), and every status a request ends with — 5xx included — is counted.
/// </summary>
public sealed class NonFiniteAudioTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-nonfinite-").FullName;

    private static byte[] FloatWav(float special)
    {
        var samples = Enumerable.Range(0, 16000).Select(i => (float)(0.3 * Math.Sin(i * 0.05))).ToArray();
        samples[8000] = special;
        return WavBuilder.Build(3, 1, 16000, 32, samples.SelectMany(BitConverter.GetBytes).ToArray());
    }

    private ServiceProcess Start(string model) => new(new Dictionary<string, string?>
    {
        ["Classifier__ModelPath"] = model,
        ["Classifier__ExecutionProvider"] = "Cpu",
        ["Service__WatchModelFile"] = "false",
    });

    private static async Task<HttpResponseMessage> Post(ServiceProcess service, byte[] wav)
    {
        var content = new ByteArrayContent(wav);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        return await service.Client.PostAsync("/classify", content);
    }

    [Fact]
    public async Task NaNInfinityAndHugeSamplesAre400sNamingTheProblemAndCounted()
    {
        using var service = Start(TestModels.Write(_dir));
        Assert.True(await service.ReadyAsync(), service.Log);

        await ClassifyTests.AssertProblem(await Post(service, FloatWav(float.NaN)), HttpStatusCode.BadRequest, "non-finite sample value (NaN) at 0.5 s");
        await ClassifyTests.AssertProblem(await Post(service, FloatWav(float.PositiveInfinity)), HttpStatusCode.BadRequest, "non-finite");
        await ClassifyTests.AssertProblem(await Post(service, FloatWav(float.NegativeInfinity)), HttpStatusCode.BadRequest, "non-finite");
        await ClassifyTests.AssertProblem(await Post(service, FloatWav(1e30f)), HttpStatusCode.BadRequest, "within ±1000");
        Assert.Equal(HttpStatusCode.OK, (await Post(service, FloatWav(1.5f))).StatusCode); // a little over full scale is fine

        var metrics = await service.Client.GetStringAsync("/metrics");
        Assert.Equal(4, PrometheusText.Value(metrics, "audioclf_requests_total", ("status", "400")));
        Assert.Equal(1, PrometheusText.Value(metrics, "audioclf_requests_total", ("status", "200")));
    }

    [Fact]
    public async Task AModelDefectIsALogged500ThatTheMetricsCount()
    {
        // A model that is finite on the all-zero warm-up input but overflows to NaN on any real clip (its input
        // standardisation divides by 1e-37): our defect, not the caller's audio.
        var weights = TestModels.RandomWeights(TestModels.Labels.Length, seed: 3);
        weights["input_mean"] = new WeightTensor([0f], [1]);
        weights["input_std"] = new WeightTensor([1e-37f], [1]);
        var model = Path.Combine(_dir, "overflow.onnx");
        ResNet18OnnxExporter.Export(weights, TestModels.Contract(), model);
        using var service = Start(model);
        Assert.True(await service.ReadyAsync(), service.Log);

        var response = await Post(service, WavBuilder.Pcm16(WavBuilder.Sine(16000, 1, 440), 16000, 1));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, PrometheusText.Value(await service.Client.GetStringAsync("/metrics"), "audioclf_requests_total", ("status", "500")));
        // Logged with the reason (the console logger writes on its own thread: the line may trail the answer).
        Assert.True(await service.LoggedAsync("non-finite probability"), service.Log);

        // The same defect on the Open Inference Protocol: its own error form, which its clients read.
        var json = JsonSerializer.Serialize(new { inputs = new[] { new { name = "audio", datatype = "BYTES", shape = new[] { 1 }, data = new[] { Convert.ToBase64String(WavBuilder.Pcm16(WavBuilder.Sine(16000, 1, 440), 16000, 1)) } } } });
        var infer = await service.Client.PostAsync("/v2/models/test-resnet18/infer", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.InternalServerError, infer.StatusCode);
        Assert.Equal("application/json", infer.Content.Headers.ContentType?.MediaType);
        Assert.Contains("failure is logged", (await infer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(2, PrometheusText.Value(await service.Client.GetStringAsync("/metrics"), "audioclf_requests_total", ("status", "500")));
    }

    [Fact]
    public async Task EveryStatusIsCountedUnderTheStandardHttpMetricsAndTheModelMetrics()
    {
        // A 200 and a 400 from a good model, then the file is replaced by one that overflows to NaN on real input:
        // an injected defect, a 500. One scrape holds all three under OpenTelemetry's HTTP semantic conventions.
        var path = Path.Combine(_dir, "live.onnx");
        File.Move(TestModels.Write(_dir), path);
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = path,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__WatchModelFile"] = "true",
            ["Service__ModelPollSeconds"] = "0.5",
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        var tone = WavBuilder.Pcm16(WavBuilder.Sine(16000, 1, 440), 16000, 1);
        Assert.Equal(HttpStatusCode.OK, (await Post(service, tone)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(service, FloatWav(float.NaN))).StatusCode);

        var weights = TestModels.RandomWeights(TestModels.Labels.Length, seed: 3);
        weights["input_mean"] = new WeightTensor([0f], [1]);
        weights["input_std"] = new WeightTensor([1e-37f], [1]);
        var staged = Path.Combine(_dir, "staged.onnx");
        ResNet18OnnxExporter.Export(weights, TestModels.Contract() with { ModelVersion = "0.0.9" }, staged);
        File.Move(staged, path, overwrite: true);
        Assert.True(await ServiceProcess.EventuallyAsync(async () => (await service.Client.GetStringAsync("/healthz/ready")).Contains("\"version\":\"0.0.9\""), ServiceProcess.StartupAllowance), service.Log);
        Assert.Equal(HttpStatusCode.InternalServerError, (await Post(service, tone)).StatusCode);

        var metrics = await service.Client.GetStringAsync("/metrics");
        foreach (var status in new[] { "200", "400", "500" })
        {
            Assert.Equal(1, PrometheusText.Value(metrics, "http_server_request_duration_seconds_count",
                ("http_route", "/classify"), ("http_request_method", "POST"), ("http_response_status_code", status)));
            Assert.Equal(1, PrometheusText.Value(metrics, "audioclf_requests_total", ("status", status)));
        }
        Assert.True(PrometheusText.Has(metrics, "http_server_request_duration_seconds_bucket", ("http_route", "/classify"), ("le", "+Inf")));
        Assert.Equal(2, PrometheusText.Value(metrics, "audioclf_inference_duration_seconds_count") + PrometheusText.Value(metrics, "audioclf_model_ready"));
        Assert.True(PrometheusText.Value(metrics, "dotnet_process_cpu_time_seconds_total") > 0);
        Assert.True(PrometheusText.Value(metrics, "dotnet_process_memory_working_set_bytes") > 1e7);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
