using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace AudioClassifier.Api.Tests;

/// <summary>/classify end to end over HTTP on a real Kestrel: every format, both upload styles, every error status.</summary>
public sealed class ClassifyTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private HttpClient Client => fixture.Client;

    public static TheoryData<string, string> Uploads() => new()
    {
        { "wav", "audio/wav" }, { "mp3", "audio/mpeg" }, { "ogg", "audio/ogg" }, { "wav", "application/octet-stream" },
    };

    private static byte[] Bytes(string format) => format switch { "wav" => Clips.Wav, "mp3" => Clips.Mp3, _ => Clips.Ogg };

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task ClassifiesMultipartUploads(string format, string contentType)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Bytes(format));
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", "clip." + format);
        var response = await Client.PostAsync("/classify?top_k=2", form);
        await AssertClassified(response, 2);
    }

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task ClassifiesRawBodies(string format, string contentType)
    {
        var body = new ByteArrayContent(Bytes(format));
        body.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        await AssertClassified(await Client.PostAsync("/classify", body), 3);
    }

    [Fact]
    public async Task WindowsParameterReturnsTheTimeline()
    {
        var response = await Client.PostAsync("/classify?windows=true&top_k=1", Raw(Clips.LongWav));
        var json = await AssertClassified(response, 1);
        var windows = json.GetProperty("windows");
        // 12 s with the test model's 2 s windows every 1 s: starts 0..10 (11 windows).
        Assert.Equal(11, windows.GetArrayLength());
        Assert.Equal(10.0, windows[10].GetProperty("start_seconds").GetDouble(), 3);
        Assert.Equal(12.0, json.GetProperty("duration_seconds").GetDouble(), 3);
        var without = await AssertClassified(await Client.PostAsync("/classify", Raw(Clips.Wav)), 3);
        Assert.Equal(JsonValueKind.Null, without.GetProperty("windows").ValueKind);
    }

    public static TheoryData<byte[], string, HttpStatusCode, string> BadInputs() => new()
    {
        { Clips.Wav[..(Clips.Wav.Length / 2)], "audio/wav", HttpStatusCode.BadRequest, "truncated" },
        { "fLaC\0\0\0\"xxxxxxxxxxxx"u8.ToArray(), "audio/wav", HttpStatusCode.UnsupportedMediaType, "FLAC" },
        { "hello"u8.ToArray(), "text/plain", HttpStatusCode.UnsupportedMediaType, "text/plain" },
        { WavBuilder.Build(1, 1, 16000, 16, []), "audio/wav", HttpStatusCode.UnprocessableEntity, "no complete sample frames" },
        { [], "audio/wav", HttpStatusCode.UnprocessableEntity, "empty" },
        { WavBuilder.Pcm16(WavBuilder.Sine(8000, 31, 440), 8000, 1), "audio/wav", HttpStatusCode.UnprocessableEntity, "maximum is 30 s" },
        { WavBuilder.Build(1, 12, 16000, 16, new byte[2400]), "audio/wav", HttpStatusCode.UnprocessableEntity, "12 channels" },
        { WavBuilder.Pcm16(WavBuilder.Sine(16000, 0.05, 440), 16000, 1), "audio/wav", HttpStatusCode.UnprocessableEntity, "0.05 s long; the minimum is 0.1 s" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInputGetsAPreciseProblem(byte[] body, string contentType, HttpStatusCode status, string mentions)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var response = await Client.PostAsync("/classify", content);
        await AssertProblem(response, status, mentions);
    }

    [Fact]
    public async Task TooLargeUploadsGet413()
    {
        // The service refuses before reading the body; a client sending Expect: 100-continue (as curl does for large
        // uploads) gets the 413 without transferring it.
        var big = new byte[5_000_000];
        Clips.Wav.CopyTo(big, 0);
        using var raw = new HttpRequestMessage(HttpMethod.Post, "/classify") { Content = Raw(big) };
        raw.Headers.ExpectContinue = true;
        await AssertProblem(await Client.SendAsync(raw), HttpStatusCode.RequestEntityTooLarge, "4000000 bytes");
        using var multipart = new HttpRequestMessage(HttpMethod.Post, "/classify") { Content = new MultipartFormDataContent { { new ByteArrayContent(big), "file", "big.wav" } } };
        multipart.Headers.ExpectContinue = true;
        await AssertProblem(await Client.SendAsync(multipart), HttpStatusCode.RequestEntityTooLarge, "exceeds");
    }

    [Fact]
    public async Task MultipartWithoutFileAndBadTopKAre400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("x"), "other" } };
        await AssertProblem(await Client.PostAsync("/classify", form), HttpStatusCode.BadRequest, "'file'");
        // A garbled content type is named as it was sent (";;;;" was named '').
        using var garbled = new ByteArrayContent("hello"u8.ToArray());
        garbled.Headers.TryAddWithoutValidation("Content-Type", ";;;;");
        await AssertProblem(await Client.PostAsync("/classify", garbled), HttpStatusCode.UnsupportedMediaType, "Content-Type ';;;;' is not accepted");
        // Two clips in one upload: refused, not answered for the first alone.
        using var two = new MultipartFormDataContent { { new ByteArrayContent(Clips.Wav), "file", "a.wav" }, { new ByteArrayContent(Clips.Wav), "file", "b.wav" } };
        await AssertProblem(await Client.PostAsync("/classify", two), HttpStatusCode.BadRequest, "2 'file' fields");
        await AssertProblem(await Client.PostAsync("/classify?top_k=0", Raw(Clips.Wav)), HttpStatusCode.BadRequest, "top_k must be at least 1 (got 0)");
        await AssertProblem(await Client.PostAsync("/classify?top_k=abc", Raw(Clips.Wav)), HttpStatusCode.BadRequest, "top_k must be a whole number of labels (got 'abc')");
        await AssertProblem(await Client.PostAsync("/classify?top_k=2.5", Raw(Clips.Wav)), HttpStatusCode.BadRequest, "top_k must be a whole number of labels (got '2.5')");
        await AssertProblem(await Client.PostAsync("/classify?windows=maybe", Raw(Clips.Wav)), HttpStatusCode.BadRequest, "windows must be true or false (got 'maybe')");
        // More labels than the model has returns them all (a reloaded model with fewer classes does not break clients).
        var all = await Client.PostAsync("/classify?top_k=9", Raw(Clips.Wav));
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(3, (await all.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("top_k").GetArrayLength());
    }

    public static TheoryData<string, string> MalformedMultipartBodies() => new()
    {
        { "boundary never found", "Too much data before the first boundary" },
        { "5000 parts", "Form value count limit" },
        { "100 KB field name", "headers length limit" },
        { "no closing boundary", "ended before its closing boundary" },
    };

    [Theory]
    [MemberData(nameof(MalformedMultipartBodies))]
    public async Task MalformedMultipartIsA400SayingWhatIsWrongNotA413(string kind, string mentions)
    {
        byte[] body = kind switch
        {
            "boundary never found" => Enumerable.Range(0, 441_000).Select(i => (byte)('a' + i % 26)).ToArray(),
            "5000 parts" => System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"--XYZ\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n")) + "--XYZ--\r\n"),
            "100 KB field name" => System.Text.Encoding.ASCII.GetBytes($"--XYZ\r\nContent-Disposition: form-data; name=\"{new string('a', 100_000)}\"\r\n\r\nv\r\n--XYZ--\r\n"),
            _ => [.. "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n"u8, .. Clips.Wav],
        };
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=XYZ");
        await AssertProblem(await Client.PostAsync("/classify", content), HttpStatusCode.BadRequest, mentions);
    }

    [Fact]
    public async Task HealthMetadataAndMetricsAnswer()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/healthz/live")).StatusCode);
        var ready = await Client.GetFromJsonAsync<JsonElement>("/healthz/ready");
        Assert.Equal("test-resnet18", ready.GetProperty("model").GetString());
        Assert.Equal("CPUExecutionProvider", ready.GetProperty("execution_provider").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/v2/health/live")).StatusCode);
        Assert.True((await Client.GetFromJsonAsync<JsonElement>("/v2/health/ready")).GetProperty("ready").GetBoolean());

        var meta = await Client.GetFromJsonAsync<JsonElement>("/v2/models/test-resnet18");
        Assert.Equal("audio", meta.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.Equal("log_mel", meta.GetProperty("inputs")[1].GetProperty("name").GetString());
        Assert.Equal([-1, 1, 32, 44], meta.GetProperty("inputs")[1].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(["dog", "rain", "siren"], meta.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        var unknown = await Client.GetAsync("/v2/models/other"); // the protocol's own error shape
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("test-resnet18", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        await Client.PostAsync("/classify", Raw(Clips.Wav));
        var metrics = await Client.GetStringAsync("/metrics");
        Assert.True(PrometheusText.Value(metrics, "audioclf_requests_total", ("status", "200")) >= 1);
        Assert.True(PrometheusText.Has(metrics, "audioclf_request_duration_seconds_bucket"));
        Assert.True(PrometheusText.Has(metrics, "audioclf_inference_duration_seconds_count"));
        Assert.True(PrometheusText.Has(metrics, "audioclf_decode_duration_seconds_sum"));
        Assert.True(PrometheusText.Value(metrics, "audioclf_features_duration_seconds_count") >= 1);
        Assert.True(PrometheusText.Has(metrics, "audioclf_batch_size_bucket"));
        Assert.True(PrometheusText.Has(metrics, "audioclf_batch_runs_total", ("shape", "8"))); // CPU default shapes: 1..MaxBatchSize, listed before use
        Assert.True(PrometheusText.Value(metrics, "audioclf_batch_runs_total") >= 1);
        Assert.Equal(0, PrometheusText.Value(metrics, "audioclf_batch_padding_windows_total")); // every size is a shape: no padding
        Assert.True(PrometheusText.Has(metrics, "audioclf_queue_depth"));
        Assert.Equal(0, PrometheusText.Value(metrics, "audioclf_queue_depth"));
        Assert.True(PrometheusText.Value(metrics, "audioclf_audio_seconds_total") > 0);
        Assert.True(PrometheusText.Has(metrics, "audioclf_model_info", ("provider", "CPUExecutionProvider")));
        Assert.True(PrometheusText.Value(metrics, "dotnet_process_memory_working_set_bytes") > 1e6);
        Assert.True(PrometheusText.Value(metrics, "dotnet_gc_last_collection_memory_committed_size_bytes") > 0);
    }

    [Fact]
    public async Task SwaggerUiAndDocumentAreServed()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/swagger/index.html")).StatusCode);
        var yaml = await Client.GetStringAsync("/swagger/v1/swagger.yaml");
        Assert.Contains("multipart/form-data", yaml);
        Assert.Contains("format: binary", yaml);
    }

    private static ByteArrayContent Raw(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static async Task<JsonElement> AssertClassified(HttpResponseMessage response, int topK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Contains(json.GetProperty("label").GetString(), TestModels.Labels);
        Assert.Equal(topK, json.GetProperty("top_k").GetArrayLength());
        Assert.Equal(json.GetProperty("label").GetString(), json.GetProperty("top_k")[0].GetProperty("label").GetString());
        Assert.Equal("test-resnet18", json.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal("CPUExecutionProvider", json.GetProperty("execution_provider").GetString());
        Assert.True(json.GetProperty("duration_seconds").GetDouble() > 0);
        // Every stage reports its time (W3C Server-Timing), so callers can split server time from network time.
        var timing = string.Join(",", response.Headers.GetValues("Server-Timing"));
        Assert.Matches(@"^read;dur=[\d.]+, decode;dur=[\d.]+, features;dur=[\d.]+, inference;dur=[\d.]+$", timing);
        return json;
    }

    internal static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string mentions)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.Contains(mentions, json.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
