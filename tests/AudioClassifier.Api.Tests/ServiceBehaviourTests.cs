using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AudioClassifier.Onnx.Contract;

namespace AudioClassifier.Api.Tests;

/// <summary>Behaviour that needs its own service configuration: API key, late models, load shedding, reload, shutdown.</summary>
public sealed class ServiceBehaviourTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-api-b-").FullName;

    private Dictionary<string, string?> Settings(string modelPath, params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = modelPath,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__ModelLoadMaxDelaySeconds"] = "0.5",
            ["Service__WatchModelFile"] = "false",
        };
        foreach (var (k, v) in extra)
            env[k] = v;
        return env;
    }

    private static ByteArrayContent Wav()
    {
        var c = new ByteArrayContent(Clips.Wav);
        c.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        return c;
    }

    [Fact]
    public async Task ApiKeyProtectsClassifyButNotHealthOrMetrics()
    {
        using var service = new ServiceProcess(Settings(TestModels.Write(_dir), ("Service__ApiKey", "s3cret")));
        await WaitReady(service);
        await ClassifyTests.AssertProblem(await service.Client.PostAsync("/classify", Wav()), HttpStatusCode.Unauthorized, "X-Api-Key");
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/classify") { Content = Wav() };
        wrong.Headers.Add("X-Api-Key", "s3cret-not");
        await ClassifyTests.AssertProblem(await service.Client.SendAsync(wrong), HttpStatusCode.Unauthorized, "API key");
        using var right = new HttpRequestMessage(HttpMethod.Post, "/classify") { Content = Wav() };
        right.Headers.Add("X-Api-Key", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await service.Client.SendAsync(right)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/healthz/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task ModelThatArrivesLateBecomesReadyWithoutRestart()
    {
        var path = Path.Combine(_dir, "late", "model.onnx");
        using var service = new ServiceProcess(Settings(path));
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/healthz/live")).StatusCode);
        var notReady = await service.Client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.NotNull(notReady.Headers.RetryAfter);
        Assert.Contains("does not exist", (await notReady.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        var refused = await service.Client.PostAsync("/classify", Wav());
        Assert.NotNull(refused.Headers.RetryAfter);
        await ClassifyTests.AssertProblem(refused, HttpStatusCode.ServiceUnavailable, "not loaded yet");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await service.Client.GetAsync("/v2/health/ready")).StatusCode);

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(TestModels.Write(_dir), path);
        await WaitReady(service);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.PostAsync("/classify", Wav())).StatusCode);
    }

    [Fact]
    public async Task CorruptOrContractlessModelAtStartIsNotReadyUntilFixed()
    {
        var path = Path.Combine(_dir, "broken.onnx");
        File.WriteAllText(path, "this is not an ONNX model");
        using var service = new ServiceProcess(Settings(path));
        Assert.True(await ServiceProcess.EventuallyAsync(async () =>
        {
            var r = await service.Client.GetAsync("/healthz/ready");
            return r.StatusCode == HttpStatusCode.ServiceUnavailable
                && ((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString() ?? "").Contains("not a loadable ONNX model");
        }, TimeSpan.FromSeconds(10)), service.Log);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/healthz/live")).StatusCode);
        Assert.Contains("not a loadable ONNX model", service.Log);
        Assert.DoesNotContain(_dir, await (await service.Client.GetAsync("/healthz/ready")).Content.ReadAsStringAsync()); // the file's name, not its path

        // Next a real ONNX model without the audioclf contract: still not ready, now saying why.
        var contractless = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(TestModels.Write(_dir)));
        contractless.MetadataProps.Clear();
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(contractless));
        Assert.True(await ServiceProcess.EventuallyAsync(async () =>
            ((await (await service.Client.GetAsync("/healthz/ready")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString() ?? "").Contains("no 'audioclf.contract_version' metadata"),
            ServiceProcess.StartupAllowance), service.Log);

        File.Move(TestModels.Write(_dir), path, overwrite: true);
        await WaitReady(service);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.PostAsync("/classify", Wav())).StatusCode);
    }

    [Fact]
    public async Task ConcurrencyLimiterShedsExcessRequestsBeforeDecoding()
    {
        // One request at a time, none waiting; each holds its slot ~400 ms in the batch queue.
        using var service = new ServiceProcess(Settings(TestModels.Write(_dir),
            ("Service__MaxConcurrentRequests", "1"), ("Service__RequestQueueLimit", "0"), ("Classifier__MaxQueueDelayMilliseconds", "400"), ("Classifier__MaxBatchSize", "64")));
        await WaitReady(service);
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => service.Client.PostAsync("/classify", Wav())));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var shed = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(shed);
        Assert.All(shed, r => Assert.NotNull(r.Headers.RetryAfter));
        await ClassifyTests.AssertProblem(shed[0], HttpStatusCode.ServiceUnavailable, "requests are in progress");
        Assert.Equal(HttpStatusCode.OK, (await service.Client.PostAsync("/classify", Wav())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/healthz/ready")).StatusCode); // health is never limited
    }

    [Fact]
    public async Task NewModelFileIsServedWithoutRestart()
    {
        var path = Path.Combine(_dir, "live.onnx");
        File.Move(TestModels.Write(_dir), path);
        using var service = new ServiceProcess(Settings(path, ("Service__WatchModelFile", "true")));
        await WaitReady(service);
        var staged = TestModels.Write(_dir, TestModels.Contract() with { ModelVersion = "0.0.2" });
        File.Move(staged, path, overwrite: true);
        Assert.True(await ServiceProcess.EventuallyAsync(async () =>
            (await service.Client.GetFromJsonAsync<JsonElement>("/healthz/ready")).GetProperty("version").GetString() == "0.0.2", ServiceProcess.StartupAllowance), service.Log);
        var answer = await (await service.Client.PostAsync("/classify", Wav())).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("0.0.2", answer.GetProperty("model").GetProperty("version").GetString());

        // A broken replacement: 0.0.2 keeps serving, and readiness and /metrics say that reloading fails and why,
        // naming the file but not the directory it lives in.
        File.WriteAllText(path, "not a model");
        Assert.True(await ServiceProcess.EventuallyAsync(async () =>
            (await service.Client.GetFromJsonAsync<JsonElement>("/healthz/ready")).GetProperty("reload_error").GetString() is { } e && e.Contains("live.onnx is not a loadable ONNX model"),
            ServiceProcess.StartupAllowance), service.Log);
        var ready = await service.Client.GetStringAsync("/healthz/ready");
        Assert.DoesNotContain(_dir, ready);
        Assert.Contains("\"version\":\"0.0.2\"", ready);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.PostAsync("/classify", Wav())).StatusCode);
        Assert.True(PrometheusText.Value(await service.Client.GetStringAsync("/metrics"), "audioclf_model_load_failures_total") >= 1);
    }

    [Fact]
    public async Task AModelPublishedLikeAKubernetesVolumeUpdateIsServed()
    {
        // The kubelet's atomic writer: models/..data -> ..v1/, models/model.onnx -> ..data/model.onnx; an update
        // writes ..v2/ and renames a new "..data" link over the old one. No event names model.onnx.
        var volume = Directory.CreateDirectory(Path.Combine(_dir, "volume")).FullName;
        Directory.CreateDirectory(Path.Combine(volume, "..v1"));
        File.Move(TestModels.Write(_dir), Path.Combine(volume, "..v1", "model.onnx"));
        Directory.CreateSymbolicLink(Path.Combine(volume, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(volume, "model.onnx"), Path.Combine("..data", "model.onnx"));
        using var service = new ServiceProcess(Settings(Path.Combine(volume, "model.onnx"), ("Service__WatchModelFile", "true"), ("Service__ModelPollSeconds", "1")));
        await WaitReady(service);

        Directory.CreateDirectory(Path.Combine(volume, "..v2"));
        File.Move(TestModels.Write(_dir, TestModels.Contract() with { ModelVersion = "0.0.3" }), Path.Combine(volume, "..v2", "model.onnx"));
        Directory.CreateSymbolicLink(Path.Combine(volume, "..data_tmp"), "..v2");
        ExternalTools.Run("mv", "-T", Path.Combine(volume, "..data_tmp"), Path.Combine(volume, "..data")); // rename(2) over the old link
        Directory.Delete(Path.Combine(volume, "..v1"), recursive: true);

        Assert.True(await ServiceProcess.EventuallyAsync(async () =>
            (await service.Client.GetFromJsonAsync<JsonElement>("/healthz/ready")).GetProperty("version").GetString() == "0.0.3", ServiceProcess.StartupAllowance), service.Log);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.PostAsync("/classify", Wav())).StatusCode);
    }

    [Fact]
    public async Task SigtermLetsInFlightRequestsFinishThenExits()
    {
        using var service = new ServiceProcess(Settings(TestModels.Write(_dir),
            ("Classifier__MaxQueueDelayMilliseconds", "5000"), ("Classifier__MaxBatchSize", "64"), ("Classifier__MaxQueueLength", "2048"), ("Service__ShutdownDrainSeconds", "20")));
        await WaitReady(service);
        var inFlight = service.Client.PostAsync("/classify", Wav());
        // In flight for sure: its windows wait in the batch queue (5 s window) when the signal comes, however slow the machine.
        Assert.True(await ServiceProcess.EventuallyAsync(async () =>
            PrometheusText.Value(await service.Client.GetStringAsync("/metrics"), "audioclf_queue_depth") >= 1, ServiceProcess.StartupAllowance), service.Log);
        service.Terminate();
        // New work is refused once shutdown starts: readiness fails, or the listener is already closed.
        using (var fresh = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(5) })
        {
            Assert.True(await ServiceProcess.EventuallyAsync(async () =>
            {
                try
                {
                    return (await fresh.GetAsync("/healthz/ready")).StatusCode != HttpStatusCode.OK;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return true; // connection refused: the server stopped accepting
                }
            }, TimeSpan.FromSeconds(4)), "readiness stayed 200 after SIGTERM");
        }
        var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(service.Process.WaitForExit(30_000), "the process did not exit after SIGTERM");
        Assert.Equal(0, service.Process.ExitCode);
    }

    private static async Task WaitReady(ServiceProcess service) =>
        Assert.True(await service.ReadyAsync(), service.Log);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
