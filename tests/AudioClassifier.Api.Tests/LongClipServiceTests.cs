using System.Net;
using System.Net.Http.Headers;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// The advertised longest clip (600 s) is servable several at a time: long clips go to the batch queue one batch of
/// windows at a time instead of reserving it whole (three concurrent 600 s clips used to get two 503 "queue full").
/// </summary>
public sealed class LongClipServiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-long-").FullName;

    [Fact]
    public async Task FourConcurrentTenMinuteClipsInThreeFormatsAllGet200()
    {
        string wav = Path.Combine(_dir, "600s-16k.wav"), cd = Path.Combine(_dir, "600s-44k.wav"), ogg = Path.Combine(_dir, "600s-44k.ogg"), mp3 = Path.Combine(_dir, "600s.mp3");
        ExternalTools.Run("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", wav, "synth", "600", "pinknoise", "vol", "0.2");
        ExternalTools.Run("sox", "-n", "-r", "44100", "-c", "1", "-b", "16", cd, "synth", "600", "pinknoise", "vol", "0.2");
        ExternalTools.Run("sox", "-n", "-r", "44100", "-c", "1", ogg, "synth", "600", "sine", "300-3000", "vol", "0.3");
        ExternalTools.Run("lame", "--quiet", "-b", "32", wav, mp3);
        // Default Classifier and Service settings (the queue of 256 windows included); the small test model keeps
        // the run time of 4 × 599 windows within the default 10 s budget on a 2-core machine.
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir),
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__WatchModelFile"] = "false",
        });
        Assert.True(await ServiceProcess.EventuallyAsync(async () => (await service.Client.GetAsync("/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30)), service.Log);

        // The 44.1 kHz WAV is 52.9 MB: over the former 25 MiB body limit, within the one derived from the longest clip.
        var uploads = new[] { (wav, "audio/wav"), (ogg, "audio/ogg"), (mp3, "audio/mpeg"), (cd, "audio/wav") };
        var responses = await Task.WhenAll(uploads.Select(async u =>
        {
            using var content = new ByteArrayContent(await File.ReadAllBytesAsync(u.Item1));
            content.Headers.ContentType = new MediaTypeHeaderValue(u.Item2);
            var response = await service.Client.PostAsync("/classify", content);
            return (u.Item1, response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.All(responses, r => Assert.True(r.StatusCode == HttpStatusCode.OK, $"{Path.GetFileName(r.Item1)}: {r.StatusCode} {r.Body}"));
        Assert.All(responses, r => Assert.Contains("\"duration_seconds\":600", r.Body));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
