using AudioClassifier.Api.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.Endpoints;

/// <summary>Liveness and readiness for Kubernetes probes and load balancers.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/healthz").WithTags("Health");
        group.MapGet("/live", () => TypedResults.Ok(new LiveResponse("live")))
            .WithName("Live").WithSummary("The process is up.");
        group.MapGet("/ready", Ready)
            .WithName("Ready").WithSummary("A model is loaded and warmed up, and the service is not shutting down.")
            .Produces<ReadyResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>> Ready(HttpContext context, ModelHost host, ShutdownState shutdown, IOptions<ServiceOptions> options)
    {
        var engine = host.Current;
        if (shutdown.IsStopping || engine is null)
        {
            context.Response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var reason = shutdown.IsStopping ? "shutting down" : host.NotReadyReason;
            return TypedResults.Json(new ReadyResponse("not_ready", null, null, null, reason, null), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return TypedResults.Ok(new ReadyResponse("ready", engine.Contract.ModelName, engine.Contract.ModelVersion, engine.ExecutionProvider, null, host.ReloadError));
    }

    /// <summary>Liveness answer.</summary>
    public sealed record LiveResponse(string Status);

    /// <summary>Readiness answer: the model and provider when ready, the reason when not; while ready, why loading a
    /// changed model file keeps failing (the previous model is still served).</summary>
    public sealed record ReadyResponse(string Status, string? Model, string? Version, string? ExecutionProvider, string? Reason, string? ReloadError);
}

/// <summary>Set when the host starts stopping, so readiness fails before connections close.</summary>
public sealed class ShutdownState
{
    public ShutdownState(IHostApplicationLifetime lifetime) => lifetime.ApplicationStopping.Register(() => IsStopping = true);

    public bool IsStopping { get; private set; }
}
