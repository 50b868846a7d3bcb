using System.Net;
using System.Net.Http.Headers;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// Fuzzes POST /classify over HTTP with mutated real clips: every answer is 200 or a 4xx problem+json — never a 5xx,
/// a hang or a dropped connection. AUDIOCLF_HTTP_FUZZ_ITERATIONS sets a longer run.
/// </summary>
public sealed class EndpointFuzzTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("AUDIOCLF_HTTP_FUZZ_ITERATIONS"), out var n) ? n : 300;

    [Fact]
    public async Task MutatedUploadsNeverGet5xx()
    {
        var seeds = new[]
        {
            File.ReadAllBytes(SharedData.Path("reference", "inputs", "us8k-horn-short.wav")),
            File.ReadAllBytes(Directory.GetFiles(SharedData.Path("datasets", "esc10"), "*.ogg", SearchOption.AllDirectories).Order().First()),
        };
        var rng = new Random(7);
        var statuses = new Dictionary<HttpStatusCode, int>();
        for (int i = 0; i < Iterations; i++)
        {
            var body = AudioMutator.Mutate(seeds[i % seeds.Length], rng, i / seeds.Length);
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90)); // a hang, not a slow machine's cold start
            var response = await fixture.Client.PostAsync("/classify", content, cts.Token);
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            Assert.True((int)response.StatusCode < 500, $"input {i} got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            if (response.StatusCode != HttpStatusCode.OK)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(Iterations, statuses.Values.Sum());
    }
}
