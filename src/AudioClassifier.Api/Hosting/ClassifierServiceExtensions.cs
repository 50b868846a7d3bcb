using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using AudioClassifier.Api.Endpoints;
using AudioClassifier.Api.Observability;
using AudioClassifier.Onnx.Inference;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Polly;

namespace AudioClassifier.Api.Hosting;

/// <summary>The service's registrations and request pipeline, so Program.cs stays a composition root.</summary>
public static class ClassifierServiceExtensions
{
    public const string DefaultModelPath = "models/esc10-resnet18.onnx";

    /// <summary>The concurrency limiter that bounds work on the audio endpoints.</summary>
    public const string ConcurrencyPolicy = "audio";

    /// <summary>Options, limits, JSON, problem details, Swagger, resilience, the model host and metrics.</summary>
    public static WebApplicationBuilder AddClassifierService(this WebApplicationBuilder builder)
    {
        var service = builder.Configuration.GetSection("Service").Get<ServiceOptions>() ?? new ServiceOptions();
        var classifier = builder.Configuration.GetSection("Classifier").Get<AudioClassifierOptions>() ?? new AudioClassifierOptions();
        classifier = classifier with { ModelPath = ResolveModelPath(string.IsNullOrWhiteSpace(classifier.ModelPath) ? DefaultModelPath : classifier.ModelPath, builder.Environment.ContentRootPath) };
        // Settings that cannot work, alone or together, stop the service now, with every reason, instead of a model
        // load retried forever or valid requests refused later.
        service = CoherentLimits.Resolve(service, classifier);
        var urls = ServiceEndpoints.HttpUrls(builder.Configuration[WebHostDefaults.ServerUrlsKey], builder.Configuration[WebHostDefaults.HttpPortsKey]);
        var problems = service.Problems().Concat(classifier.Problems()).Concat(ServiceEndpoints.Problems(urls, service.GrpcUrl, service.GrpcPort)).ToList();
        if (problems.Count == 0)
            problems.AddRange(CoherentLimits.Problems(service, classifier));
        if (problems.Count > 0)
            throw new OptionsValidationException("configuration", typeof(ServiceOptions), problems);

        var endpoints = new ServiceEndpoints();
        builder.Services.AddSingleton(endpoints);
        // Every listener is configured below; the host's own address list is emptied (";" holds no address, where ""
        // would fall back to the default) so that Kestrel does not report --urls as addresses it overrides.
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, ";");
        builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, "");  // the aspnet base image sets ASPNETCORE_HTTP_PORTS
        builder.WebHost.UseSetting(WebHostDefaults.HttpsPortsKey, "");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = service.MaxBodyBytes;
            k.Limits.MinRequestBodyDataRate = service.MinUploadBytesPerSecond > 0
                ? new MinDataRate(service.MinUploadBytesPerSecond, TimeSpan.FromSeconds(service.UploadGraceSeconds))
                : null;
            k.AddServerHeader = false;
            endpoints.Configure(k, urls, service.GrpcUrl, service.GrpcPort);
        });
        builder.Services.AddGrpc(g =>
        {
            g.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, service.MaxBodyBytes);
            g.EnableDetailedErrors = false;
        });
        builder.Services.Configure<FormOptions>(f =>
        {
            f.MultipartBodyLengthLimit = service.MaxBodyBytes;
            f.BufferBodyLengthLimit = service.MaxBodyBytes;
            f.MemoryBufferThreshold = (int)Math.Min(int.MaxValue, service.MaxBodyBytes); // uploads stay in memory: no temp files
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(service.ShutdownDrainSeconds));
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            j.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        builder.Services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(j => j.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<InferenceProtocol.ProtocolExceptionHandler>();

        builder.Services.AddSingleton(Options.Create(service));
        builder.Services.AddSingleton(classifier);
        builder.AddClassifierTelemetry();
        builder.Services.AddSingleton<ShutdownState>();
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        builder.Services.AddClassifierHealthChecks();

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddConcurrencyLimiter(ConcurrencyPolicy, o =>
            {
                o.PermitLimit = service.MaxConcurrentRequests;
                o.QueueLimit = service.RequestQueueLimit;
                o.QueueProcessingOrder = System.Threading.RateLimiting.QueueProcessingOrder.OldestFirst;
            });
            limiter.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = service.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problems.Create(StatusCodes.Status503ServiceUnavailable, "Overloaded",
                        $"More than {service.MaxConcurrentRequests} requests are in progress and {service.RequestQueueLimit} waiting; retry shortly.")
                    .ExecuteAsync(context.HttpContext);
            };
        });

        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "AudioClassifier API",
                Version = "v1",
                Description = "Classify audio clips (WAV, MP3, Ogg Vorbis) with an ONNX ResNet18 on log-mel spectrograms. Errors are RFC 7807 problem+json.",
            });
            o.OperationFilter<ClassifyRequestBodyFilter>();
            o.AddSecurityDefinition(OpenApiDocumentFilter.ApiKeyScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = service.ApiKeyHeader,
                Description = "Required on /classify only when the service is configured with Service:ApiKey.",
            });
            o.DocumentFilter<OpenApiDocumentFilter>();
            o.OperationFilter<OpenApiDocumentFilter>();
        });
        return builder;
    }

    /// <summary>Error handling, request metrics and Swagger UI.</summary>
    public static WebApplication UseClassifierPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var metrics = app.Services.GetRequiredService<ServiceMetrics>();
        app.Use(async (context, next) =>
        {
            if (!IsClassification(context.Request.Path))
            {
                await next(context);
                return;
            }
            var watch = Stopwatch.StartNew();
            int? failed = null;
            try
            {
                await next(context);
            }
            catch
            {
                failed = StatusCodes.Status500InternalServerError; // becomes a 500 in the exception handler outside
                throw;
            }
            finally
            {
                metrics.RequestCompleted(failed ?? context.Response.StatusCode, watch.Elapsed.TotalSeconds);
            }
        });
        app.UseRateLimiter();
        app.UseWebPageSecurityHeaders();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseSwagger();
        app.UseSwaggerUI(o => o.SwaggerEndpoint("/swagger/v1/swagger.json", "AudioClassifier API v1"));
        return app;
    }

    // The requests audioclf_requests_total counts: /classify and Open Inference Protocol inference (REST and gRPC).
    private static bool IsClassification(PathString path) =>
        path.StartsWithSegments("/classify")
        || (path.StartsWithSegments("/v2/models") && path.Value!.EndsWith("/infer", StringComparison.Ordinal))
        || path.StartsWithSegments("/inference.GRPCInferenceService/ModelInfer");

    /// <summary>Headers that lock the demo page down: same-origin scripts, styles and media only, no framing, no sniffing.</summary>
    private static void UseWebPageSecurityHeaders(this WebApplication app) => app.Use(async (context, next) =>
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=()";
        if (!context.Request.Path.StartsWithSegments("/swagger"))
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        await next(context);
    });

    /// <summary>A relative model path is looked up from the working directory, then the content root and their parents.</summary>
    public static string ResolveModelPath(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path))
            return path;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), contentRoot, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, path);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return Path.GetFullPath(path);
    }
}
