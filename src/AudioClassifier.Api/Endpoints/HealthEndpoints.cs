using System.Text.Json;
using AudioClassifier.Api.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.Endpoints;

/// <summary>
/// Liveness and readiness for Kubernetes probes and load balancers, on ASP.NET Core health checks: /healthz/live runs
/// no check (the process answers), /healthz/ready runs the checks tagged "ready" (<see cref="ModelReadyHealthCheck"/>).
/// Both answer the JSON bodies documented in openapi.yaml.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>The tag of the checks that decide readiness.</summary>
    public const string ReadyTag = "ready";

    public static IHealthChecksBuilder AddClassifierHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: [ReadyTag]);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (context, _) => context.Response.WriteAsJsonAsync(new LiveResponse("live"), Json(context)),
        });
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status200OK, [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable },
            ResponseWriter = WriteReadyAsync,
        });
        return app;
    }

    private static Task WriteReadyAsync(HttpContext context, HealthReport report)
    {
        var model = report.Entries.GetValueOrDefault("model");
        string? Data(string key) => model.Data?.GetValueOrDefault(key) as string;
        if (report.Status == HealthStatus.Unhealthy)
        {
            var retryAfter = context.RequestServices.GetRequiredService<IOptions<ServiceOptions>>().Value.RetryAfterSeconds;
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return context.Response.WriteAsJsonAsync(new ReadyResponse("not_ready", null, null, null, model.Description, null), Json(context));
        }
        return context.Response.WriteAsJsonAsync(new ReadyResponse("ready", Data("model"), Data("version"), Data("execution_provider"), null, Data("reload_error")), Json(context));
    }

    private static JsonSerializerOptions Json(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;

    /// <summary>Liveness answer.</summary>
    public sealed record LiveResponse(string Status);

    /// <summary>Readiness answer: the model and provider when ready, the reason when not; while ready, why loading a
    /// changed model file keeps failing (the previous model is still served).</summary>
    public sealed record ReadyResponse(string Status, string? Model, string? Version, string? ExecutionProvider, string? Reason, string? ReloadError);
}

/// <summary>Ready when a model is loaded and warmed up and the service is not shutting down; its data names the model,
/// version and provider, and a failing reload.</summary>
public sealed class ModelReadyHealthCheck(ModelHost host, ShutdownState shutdown) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var engine = host.Current;
        if (shutdown.IsStopping || engine is null)
            return Task.FromResult(HealthCheckResult.Unhealthy(shutdown.IsStopping ? "shutting down" : host.NotReadyReason));
        var data = new Dictionary<string, object>
        {
            ["model"] = engine.Contract.ModelName,
            ["version"] = engine.Contract.ModelVersion,
            ["execution_provider"] = engine.ExecutionProvider,
        };
        if (host.ReloadError is { } reload)
            data["reload_error"] = reload;
        return Task.FromResult(HealthCheckResult.Healthy("model loaded", data));
    }
}

/// <summary>Set when the host starts stopping, so readiness fails before connections close.</summary>
public sealed class ShutdownState
{
    public ShutdownState(IHostApplicationLifetime lifetime) => lifetime.ApplicationStopping.Register(() => IsStopping = true);

    public bool IsStopping { get; private set; }
}
