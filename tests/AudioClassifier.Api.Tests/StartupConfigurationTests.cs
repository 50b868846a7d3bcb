using System.Diagnostics;

namespace AudioClassifier.Api.Tests;

/// <summary>A setting that cannot work stops the service at start with the reason, instead of being retried forever.</summary>
public sealed class StartupConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-config-").FullName;

    [Theory]
    [InlineData("Classifier__MaxBatchSize", "0", "Classifier:MaxBatchSize must be at least 1 (got 0)")]
    [InlineData("Classifier__BatchShapes", "1,2,4", "largest shape (4) must equal Classifier:MaxBatchSize (8)")]
    [InlineData("Service__InferenceTimeoutSeconds", "-1", "Service:InferenceTimeoutSeconds must be positive (got -1)")]
    [InlineData("Service__MaxConcurrentRequests", "0", "Service:MaxConcurrentRequests must be at least 1")]
    [InlineData("Service__GrpcPort", "70000", "Service:GrpcPort must be a port, 0 to 65535 (got 70000)")]
    public async Task ABadSettingStopsTheServiceAtStartWithTheReason(string key, string value, string reason) =>
        await AssertStopsAtStart(reason, (key, value));

    [Fact]
    public async Task ABodyLimitTooSmallForTheLongestClipStopsTheService() =>
        // 25 MiB held 600 s of 22.05 kHz WAV at most: a 10-minute clip the service advertised was refused as too large.
        await AssertStopsAtStart("Service:MaxBodyBytes (26214400) cannot hold the longest clip Classifier:MaxAudioSeconds allows (600 s) as a 16-bit mono 48 kHz WAV (57665536 bytes with headers): raise MaxBodyBytes (0 derives it), or lower MaxAudioSeconds to 272 or less",
            ("Service__MaxBodyBytes", "26214400"));

    [Fact]
    public async Task ABatchQueueShorterThanTheAdmittedRequestsNeedStopsTheService() =>
        await AssertStopsAtStart("Classifier:MaxQueueLength (100) is below Service:MaxConcurrentRequests × Classifier:MaxBatchSize (32 × 8 = 256)",
            ("Classifier__MaxQueueLength", "100"));

    [Fact]
    public async Task GrpcOnTheApisOwnPortStopsTheServiceWithTheSettingToChange() =>
        // The API moved to 8081 with gRPC left at its default port: named at start, not a bare "address in use".
        await AssertStopsAtStart("gRPC would listen on 127.0.0.1:8081, where the HTTP API listens too: give Service:GrpcPort another port", "http://127.0.0.1:8081");

    private Task AssertStopsAtStart(string reason, params (string Key, string Value)[] settings) =>
        AssertStopsAtStart(reason, "http://127.0.0.1:0", settings);

    private async Task AssertStopsAtStart(string reason, string urls, params (string Key, string Value)[] settings)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(SharedData.RepositoryRoot, "src", "AudioClassifier.Api", "bin", "Release", "net10.0", "linux-x64", "AudioClassifier.Api.dll"));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(urls);
        psi.Environment["Classifier__ModelPath"] = TestModels.Write(_dir);
        psi.Environment["Classifier__ExecutionProvider"] = "Cpu";
        foreach (var (key, value) in settings)
            psi.Environment[key] = value;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ServiceProcess.StartupAllowance);
        bool exited = true;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            exited = false;
            process.Kill(entireProcessTree: true);
        }
        Assert.True(exited, "the service kept running with an unusable setting");
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(reason, await output + await error);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
