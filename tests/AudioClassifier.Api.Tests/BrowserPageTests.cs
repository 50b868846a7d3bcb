namespace AudioClassifier.Api.Tests;

/// <summary>
/// The demo page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): upload a real clip,
/// see the label, the probability bars and the spectrogram. The screenshot is saved beside the test output.
/// </summary>
public sealed class BrowserPageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-browser-").FullName;

    [Fact]
    public async Task UploadingARealClipShowsTheLabelAndSpectrogram()
    {
        var script = Path.Combine(SharedData.RepositoryRoot, "tests", "browser", "page.test.mjs");
        Assert.True(Directory.Exists(Path.Combine(SharedData.RepositoryRoot, "tests", "browser", "node_modules", "playwright-core")),
            "playwright-core is not installed: run `npm ci` in tests/browser (scripts/test.sh does)");
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is required (scripts/test.sh installs it)");

        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir, TestModels.Contract(Audio.Features.FeatureSpec.Default)),
            ["Classifier__ExecutionProvider"] = "Cpu",
        });
        Assert.True(await ServiceProcess.EventuallyAsync(async () => (await service.Client.GetAsync("/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30)), service.Log);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "browser-page.png");
        var silence = Path.Combine(_dir, "silence.wav");
        File.WriteAllBytes(silence, WavBuilder.Pcm16(new short[22050 * 3], 22050, 1));
        var output = ExternalTools.OutputWithEnvironment("node", new Dictionary<string, string>
        {
            ["BASE_URL"] = service.BaseAddress.ToString().TrimEnd('/'),
            ["CLIP"] = SharedData.Path("reference", "inputs", "long-12s.wav"),
            ["SCREENSHOT"] = screenshot,
            ["SILENCE"] = silence,
        }, script);
        Assert.Contains("\"bars\":3", output); // the test model has three labels
        Assert.Contains(TestModels.Labels, l => output.Contains(l, StringComparison.Ordinal));
        Assert.True(new FileInfo(screenshot).Length > 10_000, "screenshot missing");
        Assert.True(File.Exists(screenshot.Replace(".png", "-silence.png")), "silence screenshot missing");
    }

    [Fact]
    public async Task SwaggerTryItOutWorksOnAnyPort()
    {
        var script = Path.Combine(SharedData.RepositoryRoot, "tests", "browser", "swagger.test.mjs");
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir),
            ["Classifier__ExecutionProvider"] = "Cpu",
        });
        Assert.NotEqual(8080, service.BaseAddress.Port);
        Assert.True(await ServiceProcess.EventuallyAsync(async () => (await service.Client.GetAsync("/healthz/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30)), service.Log);

        var output = ExternalTools.OutputWithEnvironment("node", new Dictionary<string, string> { ["BASE_URL"] = service.BaseAddress.ToString().TrimEnd('/') }, script);
        Assert.Contains("\"status\":\"200\"", output);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
