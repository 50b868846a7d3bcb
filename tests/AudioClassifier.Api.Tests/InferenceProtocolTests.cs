using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// The Open Inference Protocol over REST against the real service: an encoded clip and the same clip's log-mel
/// window give /classify's probabilities; binary tensor data, Triton's classification parameter and requested
/// outputs; malformed tensors get the protocol's {"error"} naming the problem; versions, readiness and metadata.
/// </summary>
public sealed class InferenceProtocolTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private const string Model = "test-resnet18";
    private HttpClient Client => fixture.Client;

    // 1.5 s of a 700 Hz tone at the model's rate: shorter than the 2 s window, so the clip is one window whose
    // features are the log-mel of all its samples.
    private static readonly short[] TonePcm = WavBuilder.Sine(TestModels.SmallSpec.SampleRate, 1.5, 700);
    private static readonly float[] ToneSamples = TonePcm.Select(s => s / 32768f).ToArray(); // as the WAV decoder reads them
    private static readonly byte[] Tone = WavBuilder.Pcm16(TonePcm, TestModels.SmallSpec.SampleRate, 1);

    private static string Base64(byte[] b) => Convert.ToBase64String(b);

    private async Task<JsonElement> InferJson(object request, HttpStatusCode expected = HttpStatusCode.OK, string path = $"/v2/models/{Model}/infer")
    {
        var response = await Client.PostAsJsonAsync(path, request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private async Task<float[]> ClassifyProbabilities(byte[] wav)
    {
        using var content = new ByteArrayContent(wav);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        var answer = await (await Client.PostAsync("/classify?top_k=10", content)).Content.ReadFromJsonAsync<JsonElement>();
        var scores = answer.GetProperty("top_k").EnumerateArray().ToDictionary(e => e.GetProperty("label").GetString()!, e => e.GetProperty("score").GetSingle());
        return TestModels.Labels.Select(l => scores[l]).ToArray();
    }

    private static float[] Floats(JsonElement output) => output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [Fact]
    public async Task AnEncodedClipGivesTheProbabilitiesOfClassify()
    {
        var expected = await ClassifyProbabilities(Clips.Wav);
        var answer = await InferJson(new
        {
            id = "req-1",
            inputs = new[] { new { name = "audio", datatype = "BYTES", shape = new[] { 2 }, data = new[] { Base64(Clips.Wav), Base64(Tone) } } },
        });
        Assert.Equal("req-1", answer.GetProperty("id").GetString());
        Assert.Equal(Model, answer.GetProperty("model_name").GetString());
        var outputs = answer.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal([2, 3], outputs["probabilities"].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("FP32", outputs["probabilities"].GetProperty("datatype").GetString());
        var probabilities = Floats(outputs["probabilities"]);
        for (int c = 0; c < 3; c++)
            Assert.Equal(expected[c], probabilities[c], 6);
        var labels = outputs["labels"].GetProperty("data").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(TestModels.Labels[Array.IndexOf(expected, expected.Max())], labels[0]);
        var tone = await ClassifyProbabilities(Tone);
        for (int c = 0; c < 3; c++)
            Assert.Equal(tone[c], probabilities[3 + c], 6);
    }

    [Fact]
    public async Task ALogMelWindowAsBinaryDataGivesTheProbabilitiesOfClassify()
    {
        var expected = await ClassifyProbabilities(Tone);
        var features = LogMelExtractor.For(TestModels.SmallSpec).Compute(ToneSamples).Data;
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            inputs = new[] { new { name = "log_mel", datatype = "FP32", shape = new[] { 1, 1, 32, 44 }, parameters = new { binary_data_size = features.Length * 4 } } },
            outputs = new object[] { new { name = "probabilities", parameters = new { binary_data = true } }, new { name = "labels" } },
        }));
        var body = new byte[header.Length + features.Length * 4];
        header.CopyTo(body, 0);
        for (int i = 0; i < features.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(header.Length + 4 * i), features[i]);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await Client.PostAsync($"/v2/models/{Model}/versions/0.0.1/infer", content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, Encoding.UTF8.GetString(bytes));

        // The answer: JSON (its length in the header), then the probabilities as little-endian floats.
        int jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonDocument.Parse(bytes.AsMemory(0, jsonLength)).RootElement;
        var outputs = json.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(12, outputs[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.Equal(12, bytes.Length - jsonLength);
        for (int c = 0; c < 3; c++)
            Assert.Equal(expected[c], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(jsonLength + 4 * c)), 5);
        Assert.Equal(TestModels.Labels[Array.IndexOf(expected, expected.Max())], outputs[1].GetProperty("data")[0].GetString());
    }

    [Fact]
    public async Task ClassificationParameterGivesTritonsTopKStrings()
    {
        var answer = await InferJson(new
        {
            inputs = new[] { new { name = "audio", datatype = "BYTES", shape = new[] { 1 }, data = new[] { Base64(Tone) } } },
            outputs = new[] { new { name = "probabilities", parameters = new { classification = 2 } } },
        });
        var output = answer.GetProperty("outputs")[0];
        Assert.Equal(1, answer.GetProperty("outputs").GetArrayLength()); // only what was asked for
        Assert.Equal("BYTES", output.GetProperty("datatype").GetString());
        Assert.Equal([1, 2], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var top = output.GetProperty("data").EnumerateArray().Select(e => e.GetString()!.Split(':')).ToList();
        var expected = await ClassifyProbabilities(Tone);
        int best = Array.IndexOf(expected, expected.Max());
        Assert.Equal(best, int.Parse(top[0][1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TestModels.Labels[best], top[0][2]);
        Assert.Equal(expected[best], float.Parse(top[0][0], System.Globalization.CultureInfo.InvariantCulture), 5);
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"log_mel","datatype":"FP32","shape":[1,1,64,330],"data":[1]}]}""", "must have shape [batch, 1, 32, 44]")]
    [InlineData("""{"inputs":[{"name":"log_mel","datatype":"INT32","shape":[1,1,32,44],"data":[1]}]}""", "datatype INT32 is not accepted")]
    [InlineData("""{"inputs":[{"name":"log_mel","datatype":"FP32","shape":[1,1,32,44],"data":[1,2,3]}]}""", "(1408 values) but 3 were sent")]
    [InlineData("""{"inputs":[{"name":"audio","datatype":"BYTES","shape":[1],"data":["%%% not base64"]}]}""", "element 0 is not valid base64")]
    [InlineData("""{"inputs":[{"name":"audio","datatype":"BYTES","shape":[2],"data":["AAAA"]}]}""", "(2 elements) but 1 were sent")]
    [InlineData("""{"inputs":[{"name":"audio","datatype":"BYTES","shape":[1],"data":["AAAA"]}]}""", "element 0: Unrecognised audio format")]
    [InlineData("""{"inputs":[{"name":"pcm","datatype":"FP32","shape":[1],"data":[0]}]}""", "Unknown input 'pcm'")]
    [InlineData("""{"inputs":[]}""", "exactly one input")]
    [InlineData("""{"inputs":[{"name":"audio","datatype":"BYTES","shape":[1],"data":["AAAA"]}],"outputs":[{"name":"logits"}]}""", "Unknown output 'logits'")]
    [InlineData("""not json""", "not valid JSON")]
    [InlineData("""{"inputs":[{"name":"audio","datatype":"BYTES","shape":[1],"data":["AAAA"]}],"outputs":[{"name":"recognised","parameters":{"classification":2}}]}""", "applies to 'probabilities' only")]
    public async Task MalformedRequestsGetProtocolErrorsNamingTheProblem(string json, string expected)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await Client.PostAsync($"/v2/models/{Model}/infer", content);
        Assert.True((int)response.StatusCode is 400 or 415, $"{response.StatusCode}");
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData(-3e38f)]   // finite, but the network overflowed on it and answered NaN: a 500 that failed other callers' runs
    [InlineData(1001f)]
    public async Task LogMelValuesBeyondAnyDecibelRangeAreRefusedNamingTheBound(float value)
    {
        var data = Enumerable.Repeat(0f, 32 * 44).ToArray();
        data[100] = value;
        var json = JsonSerializer.Serialize(new { inputs = new[] { new { name = "log_mel", datatype = "FP32", shape = new[] { 1, 1, 32, 44 }, data } } });
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await Client.PostAsync($"/v2/models/{Model}/infer", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Contains("Value 100 (window 0)", error);
        Assert.Contains("within ±1000 dB", error);
    }

    // The service allows 30 s of audio per request: a second 16 s clip is refused while it is decoded, against the
    // 14 s the first one left (not after all 32 s were decoded), a third clip after 30 s before it is decoded, and
    // 16 s + 14 s, exactly the allowance, are served.
    [Fact]
    public async Task ABatchOfClipsMayHoldNoMoreAudioThanOneRequestInAll()
    {
        static string Clip(double seconds) => Base64(WavBuilder.Pcm16(WavBuilder.Sine(8000, seconds, 440), 8000, 1));
        static object Batch(params string[] clips) => new { inputs = new[] { new { name = "audio", datatype = "BYTES", shape = new[] { clips.Length }, data = clips } } };
        var tooMuch = await InferJson(Batch(Clip(16), Clip(16)), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Input 'audio' element 1: Audio is 16 s long; the maximum is 14 s. The clips before it hold 16 s, and a request may carry at most Classifier:MaxAudioSeconds (30 s) in all.",
            tooMuch.GetProperty("error").GetString());
        var nothingLeft = await InferJson(Batch(Clip(16), Clip(14), Clip(1)), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Input 'audio' element 2: the clips before it already hold 30 s of audio; a request may carry at most Classifier:MaxAudioSeconds (30 s) in all.",
            nothingLeft.GetProperty("error").GetString());
        var exactly = await InferJson(Batch(Clip(16), Clip(14)));
        Assert.Equal([2, 3], exactly.GetProperty("outputs")[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task ServerAndModelEndpointsFollowTheProtocol()
    {
        var server = await Client.GetFromJsonAsync<JsonElement>("/v2");
        Assert.Equal("audioclf", server.GetProperty("name").GetString());
        Assert.Contains("binary_tensor_data", server.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.True((await Client.GetFromJsonAsync<JsonElement>($"/v2/models/{Model}/ready")).GetProperty("ready").GetBoolean());
        Assert.True((await Client.GetFromJsonAsync<JsonElement>($"/v2/models/{Model}/versions/0.0.1/ready")).GetProperty("ready").GetBoolean());
        var meta = await Client.GetFromJsonAsync<JsonElement>($"/v2/models/{Model}/versions/0.0.1");
        Assert.Equal(["audio", "log_mel"], meta.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(["probabilities", "labels", "recognition_score", "recognised"], meta.GetProperty("outputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        foreach (var path in new[] { "/v2/models/other", "/v2/models/other/ready", $"/v2/models/{Model}/versions/9.9/ready" })
        {
            var response = await Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()));
        }
        var wrongVersion = await InferJson(new { inputs = Array.Empty<object>() }, HttpStatusCode.NotFound, $"/v2/models/{Model}/versions/9.9/infer");
        Assert.Contains("version '0.0.1'", wrongVersion.GetProperty("error").GetString());
    }
}
