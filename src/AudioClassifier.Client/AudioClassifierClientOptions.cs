namespace AudioClassifier.Client;

/// <summary>Client settings: where the service is, its API key, and the resilience policy.</summary>
public sealed record AudioClassifierClientOptions
{
    public Uri BaseAddress { get; init; } = new("http://localhost:8080");
    public string? ApiKey { get; init; }
    public string ApiKeyHeader { get; init; } = "X-Api-Key";
    /// <summary>Limit for one attempt.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Limit for the whole call, retries included.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(90);
    public int MaxRetries { get; init; } = 4;
    /// <summary>Base of the jittered exponential backoff (a server Retry-After takes precedence).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Longest delay honoured from a Retry-After header.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Failure ratio over <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; init; } = 0.5;
    public int CircuitMinimumThroughput { get; init; } = 10;
    public TimeSpan CircuitSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromSeconds(15);
}
