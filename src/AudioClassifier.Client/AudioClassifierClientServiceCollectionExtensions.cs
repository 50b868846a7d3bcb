using Polly;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Client;

/// <summary>
/// Registers named AudioClassifier clients: each a named <see cref="HttpClient"/> with the standard resilience handler
/// (Microsoft.Extensions.Http.Resilience: total timeout, retries with jittered backoff that honour Retry-After,
/// circuit breaker, attempt timeout) configured from that name's <see cref="AudioClassifierClientOptions"/>.
/// </summary>
public static class AudioClassifierClientServiceCollectionExtensions
{
    /// <summary>The name <see cref="AddAudioClassifierClient(IServiceCollection, string, Action{AudioClassifierClientOptions}?)"/> uses when none is given; its client can be resolved as <see cref="AudioClassifierClient"/>.</summary>
    public const string DefaultName = "audioclf";

    /// <summary>Adds the default client (also resolvable as <see cref="AudioClassifierClient"/>).</summary>
    public static IHttpClientBuilder AddAudioClassifierClient(this IServiceCollection services, Action<AudioClassifierClientOptions>? configure = null) =>
        services.AddAudioClassifierClient(DefaultName, configure);

    /// <summary>Adds a client by name; resolve it with <see cref="AudioClassifierClientFactory.Create(string)"/>. Settings
    /// come from <paramref name="configure"/> and anything else configured for the name (e.g.
    /// <c>services.Configure&lt;AudioClassifierClientOptions&gt;(name, configuration.GetSection(...))</c>).</summary>
    public static IHttpClientBuilder AddAudioClassifierClient(this IServiceCollection services, string name, Action<AudioClassifierClientOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = services.AddOptions<AudioClassifierClientOptions>(name);
        if (configure is not null)
            options.Configure(configure);
        options.Validate(o => o.BaseAddress.IsAbsoluteUri, "AudioClassifierClientOptions.BaseAddress must be an absolute URI.")
            .Validate(o => o.MaxRetries >= 0, "AudioClassifierClientOptions.MaxRetries must be ≥ 0.")
            .Validate(o => o.AttemptTimeout > TimeSpan.Zero && o.TotalTimeout >= o.AttemptTimeout, "AudioClassifierClientOptions: AttemptTimeout must be positive and at most TotalTimeout.")
            .Validate(o => o.CircuitSamplingDuration >= 2 * o.AttemptTimeout, "AudioClassifierClientOptions.CircuitSamplingDuration must be at least twice AttemptTimeout.");
        services.AddSingleton<AudioClassifierClientFactory>();
        if (name == DefaultName)
            services.AddTransient(sp => sp.GetRequiredService<AudioClassifierClientFactory>().Create(DefaultName));

        var builder = services.AddHttpClient(name, (sp, http) =>
        {
            http.BaseAddress = sp.GetRequiredService<IOptionsMonitor<AudioClassifierClientOptions>>().Get(name).BaseAddress;
            http.Timeout = Timeout.InfiniteTimeSpan; // the resilience handler's timeouts apply
        });
        builder.AddStandardResilienceHandler().Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
        {
            var o = sp.GetRequiredService<IOptionsMonitor<AudioClassifierClientOptions>>().Get(name);
            resilience.TotalRequestTimeout.Timeout = o.TotalTimeout;
            resilience.AttemptTimeout.Timeout = o.AttemptTimeout;
            // Polly requires at least one attempt to configure; MaxRetries 0 turns retrying off instead, as does a
            // request marked AudioClassifierClient.NoRetries (the health check reports what it sees).
            resilience.Retry.MaxRetryAttempts = Math.Max(1, o.MaxRetries);
            bool retries = o.MaxRetries > 0;
            resilience.Retry.ShouldHandle = args => ValueTask.FromResult(retries && !AudioClassifierClient.RetriesOff(args.Context.GetRequestMessage())
                && Transient(args.Outcome, args.Context.CancellationToken));
            // The service's "Overloaded" 503 is load shedding as designed (its Retry-After says when to come back, and
            // the retries wait that long), not a failing service: it does not count towards opening the circuit (a burst
            // of six requests against a one-slot service opened it for 15 s and failed every call meanwhile). Every
            // other 503 (a model that is not loaded, a budget spent) still counts.
            resilience.CircuitBreaker.ShouldHandle = async args => Transient(args.Outcome, args.Context.CancellationToken)
                && !await AudioClassifierClient.IsLoadSheddingAsync(args.Outcome.Result).ConfigureAwait(false);
            resilience.Retry.Delay = o.RetryBaseDelay;
            resilience.Retry.ShouldRetryAfterHeader = true;
            resilience.CircuitBreaker.FailureRatio = o.CircuitFailureRatio;
            resilience.CircuitBreaker.MinimumThroughput = o.CircuitMinimumThroughput;
            resilience.CircuitBreaker.SamplingDuration = o.CircuitSamplingDuration;
            resilience.CircuitBreaker.BreakDuration = o.CircuitBreakDuration;
        });
        return builder;
    }

    // The library's default: a transient answer or exception, or an attempt cancelled by something other than the
    // caller (a connect timeout of the primary handler). Written out because the overload that adds the second part
    // is marked experimental (EXTEXP0001).
    private static bool Transient(Polly.Outcome<HttpResponseMessage> outcome, CancellationToken caller) =>
        HttpClientResiliencePredicates.IsTransient(outcome) || outcome.Exception is OperationCanceledException && !caller.IsCancellationRequested;
}
