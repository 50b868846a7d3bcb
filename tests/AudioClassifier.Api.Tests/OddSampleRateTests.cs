using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// Tiny uploads that declare odd sample rates cannot make the service burn CPU: each used to cost seconds (23 s for
/// 767 999 Hz) building a resampling kernel, and every new rate stayed cached forever.
/// </summary>
public sealed partial class OddSampleRateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-odd-").FullName;

    [Fact]
    public async Task TwentyOddRatesAreAnsweredWithinTwoSecondsOfCpuAndTheKernelCacheStaysCapped()
    {
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir),
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__WatchModelFile"] = "false",
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        // One ordinary request and one odd rate outside the list first, so start-up work (JIT of both resampler paths,
        // first run) is not counted: a slow CI machine compiles for longer, which is not what this measures.
        var statuses = new List<HttpStatusCode> { await Post(service, WavBuilder.Pcm16(WavBuilder.Sine(16000, 1, 440), 16000, 1)) };
        Assert.Equal(HttpStatusCode.OK, await Post(service, WavBuilder.Pcm16(WavBuilder.Sine(12_347, 1, 440), 12_347, 1)));
        service.Process.Refresh();
        var cpuBefore = service.Process.TotalProcessorTime;

        var rng = new Random(767999);
        int[] rates = [1_000, 1_001, 7_919, 44_101, 96_001, 383_999, 384_000, .. Enumerable.Range(0, 13).Select(_ => rng.Next(1_000, 384_001))];
        foreach (int rate in rates)
        {
            var samples = Enumerable.Range(0, 100).Select(i => (short)(1000 * Math.Sin(i * 0.3))).ToArray();
            statuses.Add(await Post(service, WavBuilder.Pcm16(samples, rate, 1)));
        }

        service.Process.Refresh();
        var cpu = service.Process.TotalProcessorTime - cpuBefore;
        Assert.Equal(21, statuses.Count);
        Assert.All(statuses, s => Assert.True(s == HttpStatusCode.OK || (int)s is >= 400 and < 500, $"answered {s}"));
        Assert.True(cpu < TimeSpan.FromSeconds(2), $"the service used {cpu.TotalSeconds:0.00} s of CPU for 20 tiny uploads");
        var metrics = await service.Client.GetStringAsync("/metrics");
        long cached = (long)PrometheusText.Value(metrics, "audioclf_resampler_cache_bytes");
        Assert.InRange(cached, 1, AudioClassifier.Audio.Dsp.Resampler.CacheCapacityBytes);
    }

    private static async Task<HttpStatusCode> Post(ServiceProcess service, byte[] wav)
    {
        using var content = new ByteArrayContent(wav);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        return (await service.Client.PostAsync("/classify", content)).StatusCode;
    }


    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
