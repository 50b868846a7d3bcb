using System.Net.Http.Headers;
using AudioClassifier.Onnx.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AudioClassifier.Onnx.Tests;

/// <summary>
/// The README's embedding example: another ASP.NET Core backend registers the engine and classifies the request body
/// as it arrives, on real Kestrel (where synchronous reads of the body are not allowed).
/// </summary>
public sealed class EmbeddingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-embed-").FullName;

    [Fact]
    public async Task AnotherBackendClassifiesHttpRequestBodyDirectly()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAudioClassifier(new AudioClassifierOptions { ModelPath = TestModels.Write(_dir), ExecutionProvider = ExecutionProviderPreference.Cpu });
        await using var app = builder.Build();
        app.MapPost("/label", async (HttpRequest request, AudioClassifierEngine engine, CancellationToken ct) =>
            (await engine.ClassifyAsync(request.Body, topK: 1, ct)).Top!.Label);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var client = new HttpClient { BaseAddress = new Uri(address) };
        // Chunked, so Kestrel streams the body instead of having it all at once.
        using var content = new StreamContent(new MemoryStream(WavBuilder.Pcm16(WavBuilder.Sine(16000, 1.5, 440), 16000, 1)));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/label") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Contains(await response.Content.ReadAsStringAsync(), TestModels.Labels);
        await app.StopAsync();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
