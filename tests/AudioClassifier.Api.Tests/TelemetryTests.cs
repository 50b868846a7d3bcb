namespace AudioClassifier.Api.Tests;

/// <summary>
/// ONNX Runtime's telemetry stays off: since 1.29 its Linux build writes a device id and an event queue under
/// <c>$HOME/.cache/Microsoft/DeveloperTools/.onnxruntime/</c> and uploads from there unless told not to.
/// </summary>
public sealed class TelemetryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-telemetry-").FullName;

    [Fact]
    public async Task ServingAModelWritesNothingUnderTheUsersCache()
    {
        var home = Directory.CreateDirectory(Path.Combine(_dir, "home")).FullName;
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir),
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["HOME"] = home,
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(SharedData.Path("reference", "inputs", "long-12s.wav")));
        content.Headers.ContentType = new("audio/wav");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await service.Client.PostAsync("/classify", content)).StatusCode);

        var cache = Path.Combine(home, ".cache");
        var written = Directory.Exists(cache) ? Directory.GetFiles(cache, "*", SearchOption.AllDirectories) : [];
        Assert.True(written.Length == 0, "written under $HOME/.cache: " + string.Join(", ", written));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
