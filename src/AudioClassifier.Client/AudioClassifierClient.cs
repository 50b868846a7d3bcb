using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AudioClassifier.Client;

/// <summary>
/// Client for the AudioClassifier service. Created by <see cref="AudioClassifierClientFactory"/> over a named
/// HttpClient whose standard resilience handler retries (honouring Retry-After), times out and breaks the circuit;
/// the audio is buffered once so every attempt sends the same bytes. Failures surface as typed
/// <see cref="AudioClassifierException"/>s carrying the server's problem details.
/// </summary>
public sealed class AudioClassifierClient : IDisposable
{
    private readonly HttpClient http;
    private readonly AudioClassifierClientOptions options;
    private readonly IDisposable? owner;

    /// <param name="http">An HttpClient from the factory (its handler chain carries the resilience policy).</param>
    /// <param name="owner">Disposed with the client (a standalone client's service provider).</param>
    internal AudioClassifierClient(HttpClient http, AudioClassifierClientOptions options, IDisposable? owner = null)
    {
        this.http = http;
        this.options = options;
        this.owner = owner;
    }

    /// <summary>Releases a standalone client's resources (nothing for one from a host's container).</summary>
    public void Dispose() => owner?.Dispose();

    /// <summary>Classifies a clip (WAV, MP3 or Ogg Vorbis; the service detects the format from the bytes).</summary>
    public Task<Classification> ClassifyAsync(Stream audio, string fileName, int? topK = null, bool windows = false, CancellationToken cancellationToken = default) =>
        ClassifyAsync(audio, fileName, topK, windows, minScore: null, cancellationToken);

    /// <summary>Classifies a clip with <paramref name="minScore"/> replacing the model's "not recognised" threshold for
    /// this request (a probability, or a training similarity in [-1, 1]: see <see cref="Classification.RecognitionScoreType"/>).</summary>
    public async Task<Classification> ClassifyAsync(Stream audio, string fileName, int? topK, bool windows, double? minScore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audio);
        byte[] body = await BufferAsync(audio, cancellationToken).ConfigureAwait(false);
        var query = new List<string>();
        if (topK is { } k)
            query.Add("top_k=" + k.ToString(CultureInfo.InvariantCulture));
        if (windows)
            query.Add("windows=true");
        if (minScore is { } m)
            query.Add("min_score=" + m.ToString("R", CultureInfo.InvariantCulture));
        var uri = new Uri(Base, "classify" + (query.Count > 0 ? "?" + string.Join('&', query) : ""));

        using var response = await SendAsync(() =>
        {
            var content = new MultipartFormDataContent();
            var file = new ByteArrayContent(body);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(file, "file", HeaderSafe(fileName));
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
            // The service refuses a body over its limit before it is sent (413 instead of 100 Continue); without this the
            // whole upload was sent, the connection reset, and the client reported an unreachable service after retrying
            // the upload five times.
            request.Headers.ExpectContinue = true;
            return request;
        }, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return (await response.Content.ReadFromJsonAsync<Classification>(cancellationToken).ConfigureAwait(false))!;
        throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
    }

    // The file name travels in a quoted Content-Disposition parameter, where HttpClient refuses a quote, a backslash
    // or a control character (a CLI run over a folder died on a file named with a quote): they become '_'. The
    // service does not use the name.
    private static string HeaderSafe(string? fileName) =>
        string.IsNullOrWhiteSpace(fileName) ? "audio" : string.Concat(fileName.Select(c => char.IsControl(c) || c is '"' or '\\' ? '_' : c));

    /// <summary>Readiness of the service (no retries: a health check should report what it sees).</summary>
    public async Task<ServiceHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Base, "healthz/ready"));
            request.Options.Set(NoRetries, true);
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var root = json.RootElement;
            string? Get(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return new ServiceHealth(response.IsSuccessStatusCode, Get("model"), Get("version"), Get("execution_provider"), Get("reason"));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or BrokenCircuitException or TimeoutRejectedException)
        {
            return new ServiceHealth(false, null, null, null, e.Message);
        }
    }

    /// <summary>Marks a request the resilience handler must not retry.</summary>
    internal static readonly HttpRequestOptionsKey<bool> NoRetries = new("AudioClassifier.NoRetries");

    internal static bool RetriesOff(HttpRequestMessage? request) => request is not null && request.Options.TryGetValue(NoRetries, out bool off) && off;

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    /// <summary>Whether a response is the service shedding load: 503, Retry-After, problem title "Overloaded" (the
    /// small problem body is buffered first, so that reading it here leaves it for the caller).</summary>
    internal static async Task<bool> IsLoadSheddingAsync(HttpResponseMessage? response)
    {
        if (response is not { StatusCode: HttpStatusCode.ServiceUnavailable, Headers.RetryAfter: not null })
            return false;
        try
        {
            // Buffered and read as text (a stream read would be disposed), so that the caller can still read it.
            await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
            var problem = JsonSerializer.Deserialize<ProblemDetails>(await response.Content.ReadAsStringAsync().ConfigureAwait(false), WebJson);
            return problem?.Title == "Overloaded";
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }

    private Uri Base => http.BaseAddress is { } b ? EnsureSlash(b) : EnsureSlash(options.BaseAddress);

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        try
        {
            using var request = createRequest();
            if (options.ApiKey is { Length: > 0 } key)
                request.Headers.Add(options.ApiKeyHeader, key);
            return await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            throw new ServiceUnavailableException(HttpStatusCode.ServiceUnavailable, null, "The circuit breaker is open after repeated failures; the service is not called until it closes.", e);
        }
        catch (TimeoutRejectedException e)
        {
            throw new ServiceUnavailableException(HttpStatusCode.GatewayTimeout, null, "The service did not answer in time.", e);
        }
        catch (HttpRequestException e)
        {
            throw new ServiceUnavailableException(HttpStatusCode.ServiceUnavailable, null, $"The service could not be reached: {e.Message}", e);
        }
    }

    private static async Task<AudioClassifierException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ProblemDetails? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
        }
        string message = $"{(int)response.StatusCode} {problem?.Title ?? response.ReasonPhrase}: {problem?.Detail ?? "(no details)"}";
        return response.StatusCode switch
        {
            HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType or HttpStatusCode.UnprocessableEntity => new InvalidAudioException(response.StatusCode, problem, message),
            HttpStatusCode.RequestEntityTooLarge => new PayloadTooLargeException(problem, message),
            HttpStatusCode.Unauthorized => new UnauthorizedException(problem, message),
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.GatewayTimeout => new ServiceUnavailableException(response.StatusCode, problem, message),
            _ => new AudioClassifierException(response.StatusCode, problem, message),
        };
    }

    private static async Task<byte[]> BufferAsync(Stream audio, CancellationToken cancellationToken)
    {
        if (audio is MemoryStream ms && ms.TryGetBuffer(out var segment))
            return segment.AsSpan((int)ms.Position).ToArray();
        using var copy = new MemoryStream();
        await audio.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }

    private static Uri EnsureSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
