using AudioClassifier.Api.Observability;
using AudioClassifier.Onnx.Inference;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AudioClassifier.Api.Hosting;

/// <summary>
/// Metrics and traces on OpenTelemetry: the service's instruments (<see cref="ServiceMetrics"/>), ASP.NET Core's HTTP
/// server metrics (http_server_request_duration_seconds by route and status, active requests, Kestrel connections)
/// and the runtime's process metrics (CPU time, working set, GC), scraped at /metrics in the Prometheus format; and,
/// when OTEL_EXPORTER_OTLP_ENDPOINT is set, traces over OTLP with a span per request stage (read, decode, features,
/// inference).
/// </summary>
public static class TelemetryServiceExtensions
{
    /// <summary>The service's spans (read and decode of the upload); the engine's come from
    /// <see cref="AudioClassifierEngine.ActivitySourceName"/>.</summary>
    public const string ActivitySourceName = "AudioClassifier.Api";

    public static WebApplicationBuilder AddClassifierTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServiceMetrics>();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("audioclf"))
            .WithMetrics(m => m
                .AddMeter(ServiceMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddMeter("System.Runtime") // .NET's own process and GC instruments
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(t => t
                .AddSource(ActivitySourceName, AudioClassifierEngine.ActivitySourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/healthz"))
                .AddOtlpExporter());
        }
        return builder;
    }

    /// <summary>GET /metrics: every instrument above in the Prometheus text format.</summary>
    public static WebApplication MapClassifierMetrics(this WebApplication app)
    {
        app.Services.GetRequiredService<ServiceMetrics>().Observe(app.Services.GetRequiredService<ModelHost>());
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
