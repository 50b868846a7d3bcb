namespace AudioClassifier.Api;

/// <summary>HTTP service settings, bound from the "Service" configuration section (appsettings.json, environment).</summary>
public sealed record ServiceOptions
{
    /// <summary>When set, /classify requires this value in the <see cref="ApiKeyHeader"/> header.</summary>
    public string? ApiKey { get; init; }
    public string ApiKeyHeader { get; init; } = "X-Api-Key";
    /// <summary>Largest request body accepted (Kestrel and multipart limits), in bytes.</summary>
    public long MaxBodyBytes { get; init; } = 25 * 1024 * 1024;
    /// <summary>Per-request limit on waiting for and running inference.</summary>
    public double InferenceTimeoutSeconds { get; init; } = 10;
    /// <summary>Seconds a client is told to wait (Retry-After) when the service sheds load or is not ready.</summary>
    public int RetryAfterSeconds { get; init; } = 1;
    /// <summary>Longest delay between attempts to load a missing or broken model.</summary>
    public double ModelLoadMaxDelaySeconds { get; init; } = 10;
    /// <summary>Reload the model when its file changes (new version served without dropping requests).</summary>
    public bool WatchModelFile { get; init; } = true;
    /// <summary>Requests decoded and classified at once; more wait in the limiter queue (decoding costs CPU before the batch queue).</summary>
    public int MaxConcurrentRequests { get; init; } = 32;
    /// <summary>Requests allowed to wait for a slot; beyond it they are refused at once with 503 and Retry-After.</summary>
    public int RequestQueueLimit { get; init; } = 64;
    /// <summary>Time allowed to finish in-flight requests after SIGTERM.</summary>
    public double ShutdownDrainSeconds { get; init; } = 20;
}
