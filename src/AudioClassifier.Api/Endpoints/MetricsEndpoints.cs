using AudioClassifier.Api.Hosting;
using AudioClassifier.Api.Observability;

namespace AudioClassifier.Api.Endpoints;

/// <summary>GET /metrics in the Prometheus text format.</summary>
public static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (ServiceMetrics metrics, ModelHost host) =>
            {
                var engine = host.Current;
                return TypedResults.Text(metrics.Render(engine?.QueueDepth ?? 0, engine is not null, engine?.ExecutionProvider, engine?.Contract.ModelName, engine?.BatchShapes.Sizes, host.LoadFailures),
                    "text/plain; version=0.0.4; charset=utf-8");
            })
            .WithName("Metrics").WithSummary("Prometheus metrics.").WithTags("Observability");
        return app;
    }
}
