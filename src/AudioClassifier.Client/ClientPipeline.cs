using System.Net;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace AudioClassifier.Client;

/// <summary>
/// The client's resilience policy, shared by every client instance so the circuit breaker sees all calls: total
/// timeout → retry (jittered exponential backoff, or the server's Retry-After) on 503/429/502/504, connection errors
/// and attempt timeouts → circuit breaker on the same failures → per-attempt timeout.
/// </summary>
public sealed class ClientPipeline
{
    public ClientPipeline(AudioClassifierClientOptions options)
    {
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(r => r.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options.MaxRetryAfter)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }
        Pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                FailureRatio = options.CircuitFailureRatio,
                MinimumThroughput = options.CircuitMinimumThroughput,
                SamplingDuration = options.CircuitSamplingDuration,
                BreakDuration = options.CircuitBreakDuration,
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    /// <summary>The server's Retry-After (seconds or date), capped; null lets the backoff decide.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max)
    {
        var header = response?.Headers.RetryAfter;
        TimeSpan? delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is null)
            return null;
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > max ? max : delay;
    }
}
