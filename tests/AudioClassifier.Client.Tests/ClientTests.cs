using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace AudioClassifier.Client.Tests;

/// <summary>
/// The client against the real service on 127.0.0.1, through the standard resilience handler of
/// Microsoft.Extensions.Http.Resilience: answers, typed errors, retries honouring Retry-After, circuit breaking,
/// cancellation, and several differently configured clients in one container.
/// </summary>
public sealed class ClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-client-").FullName;
    private readonly List<ServiceProcess> _services = [];
    private readonly List<IDisposable> _clients = [];

    private ServiceProcess Start(string modelPath, params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = modelPath,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__ModelLoadMaxDelaySeconds"] = "0.3",
            ["Service__WatchModelFile"] = "false",
            ["Service__RetryAfterSeconds"] = "1",
        };
        foreach (var (k, v) in extra)
            env[k] = v;
        var service = new ServiceProcess(env);
        _services.Add(service);
        return service;
    }

    private AudioClassifierClient Client(ServiceProcess service, Action<AudioClassifierClientOptions>? configure = null)
    {
        var client = AudioClassifierClientFactory.CreateStandalone(o =>
        {
            o.BaseAddress = service.BaseAddress;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            configure?.Invoke(o);
        });
        _clients.Add(client);
        return client;
    }

    private static MemoryStream Wav() => new(File.ReadAllBytes(SharedData.Path("reference", "inputs", "us8k-dog-44k-stereo.wav")));

    private async Task<ServiceProcess> Ready(ServiceProcess s)
    {
        Assert.True(await s.ReadyAsync(), s.Log);
        return s;
    }

    [Fact]
    public async Task ClassifiesAndReportsHealth()
    {
        var service = await Ready(Start(TestModels.Write(_dir)));
        var client = Client(service);
        var result = await client.ClassifyAsync(Wav(), "dog.wav", topK: 2, windows: true);
        Assert.Equal(2, result.TopK.Count);
        Assert.Contains(result.Label, TestModels.Labels);
        Assert.Equal("test-resnet18", result.Model.Name);
        Assert.NotNull(result.Windows);
        Assert.NotEmpty(result.Windows!);
        // An uncalibrated model recognises every sound; min_score decides for one request, on the named score.
        Assert.True(result.Recognised);
        Assert.Null(result.Threshold);
        var strict = await client.ClassifyAsync(Wav(), "dog.wav", topK: 1, windows: false, minScore: 0.999);
        Assert.False(strict.Recognised);
        Assert.Equal(0.999, strict.Threshold);
        Assert.Equal("max_probability", strict.RecognitionScoreType);
        // The score of a clip of several windows: the mean of each sounding window's best probability.
        Assert.Equal(result.Windows!.Where(w => !w.Silent).Average(w => w.TopK[0].Score), strict.RecognitionScore, 5);
        Assert.True(strict.RecognitionScore >= strict.Score - 1e-6);
        // Any file name a folder can hold is sent (a quote or a newline in one made HttpClient throw).
        foreach (var name in new[] { "quote\".wav", "new\nline.wav", "back\\slash.wav", "café 🐕.wav" })
            Assert.Equal(result.Label, (await client.ClassifyAsync(Wav(), name, topK: 1)).Label);
        var health = await client.CheckHealthAsync();
        Assert.True(health.Ready);
        Assert.Equal("CPUExecutionProvider", health.ExecutionProvider);
    }

    [Fact]
    public async Task ErrorsAreTypedWithTheServersProblemDetails()
    {
        var service = await Ready(Start(TestModels.Write(_dir), ("Service__MaxBodyBytes", "300000"), ("Classifier__MaxAudioSeconds", "2"), ("Service__ApiKey", "k1")));
        var keyed = Client(service, o => { o.ApiKey = "k1"; });

        var unsupported = await Assert.ThrowsAsync<InvalidAudioException>(() => keyed.ClassifyAsync(new MemoryStream("not audio"u8.ToArray()), "x.txt"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.StatusCode);
        Assert.Contains("Unrecognised audio format", unsupported.Problem!.Detail);

        var corrupt = await Assert.ThrowsAsync<InvalidAudioException>(() => keyed.ClassifyAsync(new MemoryStream(Wav().ToArray()[..1000]), "cut.wav"));
        Assert.Equal(HttpStatusCode.BadRequest, corrupt.StatusCode);

        var tooLong = await Assert.ThrowsAsync<InvalidAudioException>(() => keyed.ClassifyAsync(new MemoryStream(WavBuilder.Build(1, 1, 16000, 16, [])), "empty.wav"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);

        await Assert.ThrowsAsync<PayloadTooLargeException>(() => keyed.ClassifyAsync(new MemoryStream(new byte[400_000]), "big.wav"));

        var unauthorized = await Assert.ThrowsAsync<UnauthorizedException>(() => Client(service).ClassifyAsync(Wav(), "dog.wav"));
        Assert.Contains("X-Api-Key", unauthorized.Problem!.Detail);
    }

    [Fact]
    public async Task RetriesA503HonouringRetryAfterUntilTheModelIsReady()
    {
        var path = Path.Combine(_dir, "late.onnx");
        var service = Start(path);
        // Retries enough for a slow machine to load and warm the model once it arrives (over 30 s once on CI); the
        // total timeout (90 s) still bounds the call.
        var client = Client(service, o => { o.MaxRetries = 60; o.CircuitMinimumThroughput = 100; });
        Assert.False((await client.CheckHealthAsync()).Ready);
        var model = TestModels.Write(Directory.CreateDirectory(Path.Combine(_dir, "staged")).FullName); // written before the clock runs
        var watch = Stopwatch.StartNew();
        var call = client.ClassifyAsync(Wav(), "dog.wav");
        await Task.Delay(1500);
        Assert.False(call.IsCompleted);
        File.Move(model, path);
        var result = await call;
        Assert.Contains(result.Label, TestModels.Labels);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task BurstAgainstAServerThatShedsLoadSucceedsThroughRetries()
    {
        // One request at a time, none waiting, each held ~300 ms in the batch queue: concurrent calls beyond it get 503 + Retry-After.
        var service = await Ready(Start(TestModels.Write(_dir), ("Service__MaxConcurrentRequests", "1"), ("Service__RequestQueueLimit", "0"), ("Classifier__MaxQueueDelayMilliseconds", "300"), ("Classifier__MaxBatchSize", "64")));
        var shed = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => service.Client.PostAsync("/classify", new ByteArrayContent(Wav().ToArray()))));
        Assert.Contains(shed, r => r.StatusCode == HttpStatusCode.ServiceUnavailable && r.Headers.RetryAfter is not null);

        // The circuit breaker's defaults (10 attempts, half failing, open it): load shedding with Retry-After is not a
        // failure of the service, so the burst is served through the retries instead of the circuit opening on it.
        var client = Client(service, o => { o.MaxRetries = 60; }); // many rounds on a slow machine; the total timeout bounds it
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.ClassifyAsync(Wav(), "dog.wav")));
        Assert.All(results, r => Assert.Contains(r.Label, TestModels.Labels));
    }

    [Fact]
    public async Task ABodyOverTheLimitIsRefusedBeforeItIsSentAndNotRetried()
    {
        var service = await Ready(Start(TestModels.Write(_dir), ("Service__MaxBodyBytes", "300000"), ("Classifier__MaxAudioSeconds", "2")));
        var services = new ServiceCollection();
        var attempts = new AttemptCounter();
        services.AddAudioClassifierClient(o => { o.BaseAddress = service.BaseAddress; o.MaxRetries = 4; })
            .AddHttpMessageHandler(() => new CountingHandler(attempts));
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<AudioClassifierClient>();

        // 40 MB: sent whole, it was cut off mid-upload (a broken pipe, reported as an unreachable service after five uploads).
        var e = await Assert.ThrowsAsync<PayloadTooLargeException>(() => client.ClassifyAsync(new MemoryStream(new byte[40_000_000]), "huge.wav"));
        Assert.Contains("300000", e.Problem!.Detail);
        Assert.Equal(1, attempts.Count);
    }

    [Fact]
    public async Task TheHealthCheckReportsWhatItSeesWithoutRetrying()
    {
        var service = Start(Path.Combine(_dir, "absent.onnx"));
        var services = new ServiceCollection();
        var attempts = new AttemptCounter();
        services.AddAudioClassifierClient(o => { o.BaseAddress = service.BaseAddress; o.MaxRetries = 4; o.CircuitMinimumThroughput = 100; })
            .AddHttpMessageHandler(() => new CountingHandler(attempts));
        using var provider = services.BuildServiceProvider();

        var health = await provider.GetRequiredService<AudioClassifierClient>().CheckHealthAsync();

        Assert.False(health.Ready);
        Assert.Equal(1, attempts.Count);
    }

    [Fact]
    public async Task CircuitOpensAfterRepeatedFailuresAndFailsFast()
    {
        // A model that is not loaded answers 503 + Retry-After too, but that is a failing service, not load shedding.
        var service = Start(Path.Combine(_dir, "never.onnx"));
        var client = Client(service, o => { o.MaxRetries = 0; o.CircuitMinimumThroughput = 2; o.CircuitFailureRatio = 0.5; o.CircuitBreakDuration = TimeSpan.FromSeconds(30); });
        for (int i = 0; i < 2; i++)
        {
            var e = await Assert.ThrowsAsync<ServiceUnavailableException>(() => client.ClassifyAsync(Wav(), "dog.wav"));
            Assert.Contains("not loaded", e.Problem!.Detail);
        }
        // The open circuit refuses without calling the service (Polly's BrokenCircuitException, not a 503 answer).
        var open = await Assert.ThrowsAsync<ServiceUnavailableException>(() => client.ClassifyAsync(Wav(), "dog.wav"));
        Assert.IsType<BrokenCircuitException>(open.InnerException);
    }

    [Fact]
    public async Task CancellationStopsTheCall()
    {
        var service = Start(Path.Combine(_dir, "never2.onnx"));
        var client = Client(service, o => { o.MaxRetries = 20; o.CircuitMinimumThroughput = 100; });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ClassifyAsync(Wav(), "dog.wav", cancellationToken: cts.Token));
    }

    [Fact]
    public async Task RegistersForDependencyInjection()
    {
        var service = await Ready(Start(TestModels.Write(_dir)));
        var services = new ServiceCollection();
        services.AddAudioClassifierClient(o => { o.BaseAddress = service.BaseAddress; o.MaxRetries = 1; });
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<AudioClassifierClient>();
        var result = await client.ClassifyAsync(Wav(), "dog.wav", topK: 1);
        Assert.Single(result.TopK);
        // The standard resilience handler carries the client's settings.
        var resilience = provider.GetRequiredService<IOptionsMonitor<HttpStandardResilienceOptions>>().Get(AudioClassifierClientServiceCollectionExtensions.DefaultName + "-standard");
        Assert.Equal(1, resilience.Retry.MaxRetryAttempts);
        Assert.True(resilience.Retry.ShouldRetryAfterHeader);
    }

    [Fact]
    public async Task TwoDifferentlyConfiguredClientsLiveInOneContainer()
    {
        // "keyed": a service behind an API key, reached with the key and retries; "impatient": a service whose model
        // never loads, no retries. Each keeps its own address, key and policy.
        var keyedService = await Ready(Start(TestModels.Write(_dir), ("Service__ApiKey", "k2")));
        var missing = Start(Path.Combine(_dir, "missing.onnx"));
        var services = new ServiceCollection();
        services.AddAudioClassifierClient("keyed", o => { o.BaseAddress = keyedService.BaseAddress; o.ApiKey = "k2"; o.MaxRetries = 3; });
        var impatientAttempts = new AttemptCounter();
        services.AddAudioClassifierClient("impatient", o => { o.BaseAddress = missing.BaseAddress; o.MaxRetries = 0; o.CircuitMinimumThroughput = 100; })
            .AddHttpMessageHandler(() => new CountingHandler(impatientAttempts));
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<AudioClassifierClientFactory>();

        var result = await factory.Create("keyed").ClassifyAsync(Wav(), "dog.wav", topK: 2);
        Assert.Equal(2, result.TopK.Count);
        var refused = await Assert.ThrowsAsync<ServiceUnavailableException>(() => factory.Create("impatient").ClassifyAsync(Wav(), "dog.wav"));
        Assert.Contains("not loaded", refused.Problem!.Detail);
        Assert.Equal(1, impatientAttempts.Count); // no retries configured: the 503 is answered after one attempt
        Assert.Throws<OptionsValidationException>(() =>
        {
            services.AddAudioClassifierClient("broken", o => o.MaxRetries = -1);
            using var p = services.BuildServiceProvider();
            p.GetRequiredService<AudioClassifierClientFactory>().Create("broken");
        });
    }

    public void Dispose()
    {
        foreach (var c in _clients)
            c.Dispose();
        foreach (var s in _services)
            s.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>Attempts that reached the wire, counted by <see cref="CountingHandler"/> (which sits inside the resilience handler, so it sees every retry).</summary>
internal sealed class AttemptCounter
{
    private int _count;
    public int Count => Volatile.Read(ref _count);
    public void Add() => Interlocked.Increment(ref _count);
}

/// <summary>Counts each attempt the HTTP client sends.</summary>
internal sealed class CountingHandler(AttemptCounter counter) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        counter.Add();
        return base.SendAsync(request, cancellationToken);
    }
}
