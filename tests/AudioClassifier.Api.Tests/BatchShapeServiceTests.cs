using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// The GPU overlay's batching settings, applied on this CPU host: under concurrent load the service runs the model at
/// one batch shape only (on a GPU every change of shape between runs costs hundreds of milliseconds), as /metrics reports.
/// </summary>
public sealed partial class BatchShapeServiceTests
{
    [Fact]
    public async Task GpuOverlaySettingsRunEveryBatchAtOneShapeUnderConcurrency16()
    {
        var settings = GpuOverlayClassifierSettings();
        Assert.Equal("32", settings["Classifier__BatchShapes"]);
        settings["Classifier__ExecutionProvider"] = "Cpu"; // the overlay says Cuda; this host has no GPU
        settings["Classifier__ModelPath"] = Path.Combine(SharedData.RepositoryRoot, "models", "esc10-resnet18.onnx");
        settings["Service__WatchModelFile"] = "false";
        // Two cores run every batch padded to 32 windows, 16 requests at a time, the first ones with the decoder cold: a
        // budget that a slow machine cannot overrun, since a 503 for time is not what this checks.
        settings["Service__InferenceTimeoutSeconds"] = "120";
        using var service = new ServiceProcess(settings!);
        Assert.True(await service.ReadyAsync(), service.Log);
        var before = RunsByShape(await service.Client.GetStringAsync("/metrics"));
        Assert.Equal([32], before.Keys.Order()); // the shape listed from the start
        Assert.All(before.Values, n => Assert.Equal(0, n));        // warm-up runs are not traffic

        var clip = await File.ReadAllBytesAsync(SharedData.Path("datasets", "esc10", "009 - Rooster", "1-26806-A.ogg"));
        var statuses = new List<HttpStatusCode>();
        var until = DateTime.UtcNow.AddSeconds(10);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (DateTime.UtcNow < until)
            {
                using var content = new ByteArrayContent(clip);
                content.Headers.ContentType = new MediaTypeHeaderValue("audio/ogg");
                var status = (await service.Client.PostAsync("/classify", content)).StatusCode;
                lock (statuses)
                    statuses.Add(status);
            }
        }));

        var metrics = await service.Client.GetStringAsync("/metrics");
        var runs = RunsByShape(metrics);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal([32], runs.Keys.Order());
        Assert.True(runs[32] > 0, metrics);
        // Every window of every request ran in some shape; the padding is counted apart.
        using var one = new ByteArrayContent(clip);
        one.Headers.ContentType = new MediaTypeHeaderValue("audio/ogg");
        var answer = await (await service.Client.PostAsync("/classify?windows=true", one)).Content.ReadFromJsonAsync<JsonElement>();
        int windowsPerClip = answer.GetProperty("windows").GetArrayLength();
        metrics = await service.Client.GetStringAsync("/metrics");
        runs = RunsByShape(metrics);
        long padding = (long)PrometheusText.Value(metrics, "audioclf_batch_padding_windows_total");
        Assert.Equal((statuses.Count + 1) * windowsPerClip + padding, runs.Sum(r => (long)r.Key * r.Value));
    }

    private static Dictionary<int, long> RunsByShape(string metrics) =>
        PrometheusText.Samples(metrics, "audioclf_batch_runs_total").ToDictionary(
            s => int.Parse(s.Labels["shape"], System.Globalization.CultureInfo.InvariantCulture), s => (long)s.Value);

    // The Classifier__* environment of k8s/overlays/gpu, as the GPU deployment sets it.
    private static Dictionary<string, string?> GpuOverlayClassifierSettings()
    {
        var patch = File.ReadAllText(Path.Combine(SharedData.RepositoryRoot, "k8s", "overlays", "gpu", "deployment-patch.yaml"));
        return EnvPattern().Matches(patch).Where(m => m.Groups[1].Value.StartsWith("Classifier__", StringComparison.Ordinal))
            .ToDictionary(m => m.Groups[1].Value, m => (string?)m.Groups[2].Value);
    }

    [GeneratedRegex(@"- name: (\w+)\s+value: ""?([^""\n]*)""?")]
    private static partial Regex EnvPattern();
}
