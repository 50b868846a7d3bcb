using System.Net;
using System.Net.Http.Headers;
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
        Assert.True(await ServiceProcess.EventuallyAsync(async () => (await service.Client.GetAsync("/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30)), service.Log);

        await ClassifyTests.AssertProblem(await Post(service, FloatWav(float.NaN)), HttpStatusCode.BadRequest, "non-finite sample value (NaN) at 0.5 s");
        await ClassifyTests.AssertProblem(await Post(service, FloatWav(float.PositiveInfinity)), HttpStatusCode.BadRequest, "non-finite");
        await ClassifyTests.AssertProblem(await Post(service, FloatWav(float.NegativeInfinity)), HttpStatusCode.BadRequest, "non-finite");
        await ClassifyTests.AssertProblem(await Post(service, FloatWav(1e30f)), HttpStatusCode.BadRequest, "within ±1000");
        Assert.Equal(HttpStatusCode.OK, (await Post(service, FloatWav(1.5f))).StatusCode); // a little over full scale is fine

        var metrics = await service.Client.GetStringAsync("/metrics");
        Assert.Contains("audioclf_requests_total{status=\"400\"} 4", metrics);
        Assert.Contains("audioclf_requests_total{status=\"200\"} 1", metrics);
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
        Assert.True(await ServiceProcess.EventuallyAsync(async () => (await service.Client.GetAsync("/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30)), service.Log);

        var response = await Post(service, WavBuilder.Pcm16(WavBuilder.Sine(16000, 1, 440), 16000, 1));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("audioclf_requests_total{status=\"500\"} 1", await service.Client.GetStringAsync("/metrics"));
        Assert.Contains("non-finite probability", service.Log); // logged with the reason
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
