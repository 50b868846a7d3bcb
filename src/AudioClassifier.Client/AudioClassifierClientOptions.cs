namespace AudioClassifier.Client;

/// <summary>
/// One client's settings: where the service is, its API key, and the resilience policy. Bound per named client
/// through the options pattern (<c>IOptionsMonitor&lt;AudioClassifierClientOptions&gt;.Get(name)</c>), e.g. from a
/// configuration section, and validated when the client is first created.
/// </summary>
public sealed class AudioClassifierClientOptions
{
    public Uri BaseAddress { get; set; } = new("http://localhost:8080");
    public string? ApiKey { get; set; }
    public string ApiKeyHeader { get; set; } = "X-Api-Key";
    /// <summary>Limit for one attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Limit for the whole call, retries included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(90);
    public int MaxRetries { get; set; } = 4;
    /// <summary>Base of the jittered exponential backoff; a server's Retry-After takes precedence.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Failure ratio over <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;
    public int CircuitMinimumThroughput { get; set; } = 10;
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
