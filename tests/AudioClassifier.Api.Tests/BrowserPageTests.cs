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
        Assert.True(await service.ReadyAsync(), service.Log);

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
    public async Task TheShippedModelOnTheExamplesAMixtureAndAnOutOfDomainClip()
    {
        var esc10 = SharedData.Path("datasets", "esc10");
        string Clip(string label, string file) => Path.Combine(esc10, label, file);
        // Six different sounds, 5 s each, one after another (fold-1 clips).
        string[] sounds = ["001 - Dog bark", "002 - Rain", "009 - Rooster", "007 - Helicopter", "004 - Baby cry", "008 - Chainsaw"];
        var parts = sounds.Select(l => Directory.GetFiles(Path.Combine(esc10, l), "1-*.ogg").Order().First()).ToList();
        var mixture = Path.Combine(_dir, "mixture-30s.wav");
        ExternalTools.Run("sox", [.. parts, mixture]);
        var siren = Directory.GetFiles(SharedData.Path("datasets", "urbansound8k"), "*-8-*.ogg", SearchOption.AllDirectories).Order().First();

        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = Path.Combine(SharedData.RepositoryRoot, "models", "esc10-resnet18.onnx"),
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__ExampleClips__0"] = Clip("001 - Dog bark", "1-100032-A.ogg"),
            ["Service__ExampleClips__1"] = Clip("009 - Rooster", "1-26806-A.ogg"),
            ["Service__ExampleClips__2"] = Clip("002 - Rain", Path.GetFileName(parts[1])),
            ["Service__ExamplesAttribution"] = "Examples: ESC-10 (K. J. Piczak, ESC: Dataset for Environmental Sound Classification), CC BY 3.0.",
        });
        Assert.True(await service.ReadyAsync(), service.Log);

        var output = ExternalTools.OutputWithEnvironment("node", new Dictionary<string, string>
        {
            ["BASE_URL"] = service.BaseAddress.ToString().TrimEnd('/'),
            ["MIXTURE"] = mixture,
            ["OOD"] = siren,
            ["SCREENSHOTS"] = AppContext.BaseDirectory,
        }, Path.Combine(SharedData.RepositoryRoot, "tests", "browser", "showcase.test.mjs"));
        Assert.Contains("\"examples\":[\"Dog bark\",\"Rooster\",\"Rain\"]", output);
        foreach (var shot in new[] { "page-example.png", "page-mixture.png", "page-out-of-domain.png", "page-phone.png" })
            Assert.True(new FileInfo(Path.Combine(AppContext.BaseDirectory, shot)).Length > 10_000, shot + " missing");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await service.Client.GetAsync("/examples/3")).StatusCode);
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
        Assert.True(await service.ReadyAsync(), service.Log);

        var output = ExternalTools.OutputWithEnvironment("node", new Dictionary<string, string> { ["BASE_URL"] = service.BaseAddress.ToString().TrimEnd('/') }, script);
        Assert.Contains("\"status\":\"200\"", output);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
