using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// Service:InferenceTimeoutSeconds bounds a request even when its model run executes inline on an idle model, and a
/// request that times out or whose client goes away stops using the CPU: its run is terminated inside ONNX Runtime.
/// A deliberately slow model (ResNet18 on a 512×2048 input, hundreds of milliseconds per run) makes that visible.
/// </summary>
public sealed class RequestBudgetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-budget-").FullName;
    private readonly string _slowModel;

    public RequestBudgetTests() =>
        _slowModel = TestModels.Write(_dir, TestModels.Contract(AudioClassifier.Audio.Features.FeatureSpec.Default with { NMels = 512, Frames = 2048 }));

    private ServiceProcess Start(double timeoutSeconds) => new(new Dictionary<string, string?>
    {
        ["Classifier__ModelPath"] = _slowModel,
        ["Classifier__ExecutionProvider"] = "Cpu",
        ["Classifier__MaxBatchSize"] = "1",
        ["Service__WatchModelFile"] = "false",
        ["Service__InferenceTimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Service__TimeoutSecondsPerAudioMinute"] = "0",
    });

    private static ByteArrayContent Clip()
    {
        var content = new ByteArrayContent(WavBuilder.Pcm16(WavBuilder.Sine(22050, 1, 440), 22050, 1));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        return content;
    }

    private static async Task Ready(ServiceProcess service) =>
        Assert.True(await service.ReadyAsync(), service.Log);

    private static TimeSpan CpuOver(ServiceProcess service, TimeSpan period)
    {
        service.Process.Refresh();
        var before = service.Process.TotalProcessorTime;
        Thread.Sleep(period);
        service.Process.Refresh();
        return service.Process.TotalProcessorTime - before;
    }

    [Fact]
    public async Task TheTimeoutHoldsForAnInlineRunAndAnAbandonedRequestStopsUsingTheCpu()
    {
        // The full cost of one run, with a budget that does not interfere.
        TimeSpan full, fullCpu;
        using (var generous = Start(timeoutSeconds: 60))
        {
            await Ready(generous);
            Assert.Equal(HttpStatusCode.OK, (await generous.Client.PostAsync("/classify", Clip())).StatusCode);
            generous.Process.Refresh();
            var cpuBefore = generous.Process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.OK, (await generous.Client.PostAsync("/classify", Clip())).StatusCode);
            full = watch.Elapsed;
            generous.Process.Refresh();
            fullCpu = generous.Process.TotalProcessorTime - cpuBefore; // one run on every core ONNX Runtime uses
            Assert.True(full > TimeSpan.FromMilliseconds(200), $"the slow model ran in {full.TotalMilliseconds:0} ms; the test needs a slower one");

            // The client gives up early: the run it started is terminated, so the service goes idle at once.
            // ONNX Runtime checks Terminate between graph nodes: the node in flight (one large convolution here, up to
            // a fifth of the run) completes first. After that the service must be idle for the rest of the run's time.
            // A run left going would spend about five eighths of a run's CPU in the window measured, on every try;
            // background work of the runtime (tiered JIT, GC) a few tens of milliseconds — more when other test
            // assemblies share the two cores, which once pushed a terminated run's window to 330 ms of 830, so up to
            // three tries are made and one must be idle.
            var tries = new List<double>(); // ms of CPU in each try's window
            while (tries.Count < 3 && (tries.Count == 0 || tries[^1] >= fullCpu.TotalMilliseconds / 3))
            {
                using var cts = new CancellationTokenSource(full / 8);
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generous.Client.PostAsync("/classify", Clip(), cts.Token));
                Thread.Sleep(full / 4);
                tries.Add(CpuOver(generous, full).TotalMilliseconds);
            }
            Assert.True(tries[^1] < fullCpu.TotalMilliseconds / 3,
                $"CPU in {full.TotalMilliseconds:0} ms from {full.TotalMilliseconds / 4:0} ms after the client left, per try: {string.Join(", ", tries.Select(t => $"{t:0} ms"))} (a whole run: {fullCpu.TotalMilliseconds:0} ms)");
            Assert.True(await ServiceProcess.EventuallyAsync(async () =>
                PrometheusText.Value(await generous.Client.GetStringAsync("/metrics"), "audioclf_client_disconnects_total") == tries.Count, TimeSpan.FromSeconds(10)), generous.Log);
        }

        // A budget far below one run: answered 503 when the budget is spent, not when the run would have finished.
        double budget = Math.Max(0.02, full.TotalSeconds / 10);
        using var strict = Start(budget);
        await Ready(strict);
        // The budget runs from the body's arrival (decoding and the model run), and a fresh service's first request
        // also compiles the decoder, the front end and the HTTP pipeline: 1.2 s once on a slow CI machine, where the
        // answer came late but still came as a 503. That cold overrun is not what this checks; the timed requests come
        // after one warm-up, and (as above, for other assemblies sharing the cores) one of up to three must answer in time.
        await ClassifyTests.AssertProblem(await strict.Client.PostAsync("/classify", Clip()), HttpStatusCode.ServiceUnavailable, "was not classified within");
        Thread.Sleep(full / 4); // the node in flight when the budget ran out completes
        var answeredAfter = new List<double>(); // ms per timed request
        while (answeredAfter.Count < 3 && (answeredAfter.Count == 0 || answeredAfter[^1] >= full.TotalMilliseconds / 2))
        {
            var timed = Stopwatch.StartNew();
            var response = await strict.Client.PostAsync("/classify", Clip());
            answeredAfter.Add(timed.Elapsed.TotalMilliseconds);
            await ClassifyTests.AssertProblem(response, HttpStatusCode.ServiceUnavailable, "was not classified within");
            Assert.NotNull(response.Headers.RetryAfter);
            Thread.Sleep(full / 4); // the node in flight when the budget ran out completes
        }
        Assert.True(answeredAfter[^1] < full.TotalMilliseconds / 2,
            $"answered after {string.Join(", ", answeredAfter.Select(t => $"{t:0} ms"))} with a {budget * 1000:0} ms budget (a full run: {full.TotalMilliseconds:0} ms)");
        var after = new List<double> { CpuOver(strict, full).TotalMilliseconds };
        while (after.Count < 3 && after[^1] >= fullCpu.TotalMilliseconds / 3) // as above: up to three tries, one idle
        {
            await ClassifyTests.AssertProblem(await strict.Client.PostAsync("/classify", Clip()), HttpStatusCode.ServiceUnavailable, "was not classified within");
            Thread.Sleep(full / 4);
            after.Add(CpuOver(strict, full).TotalMilliseconds);
        }
        Assert.True(after[^1] < fullCpu.TotalMilliseconds / 3, $"CPU in {full.TotalMilliseconds:0} ms from {full.TotalMilliseconds / 4:0} ms after the timeout, per try: {string.Join(", ", after.Select(t => $"{t:0} ms"))} (a whole run: {fullCpu.TotalMilliseconds:0} ms)");
        Assert.DoesNotContain("Inference failed", strict.Log); // a terminated run is not a failure
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
