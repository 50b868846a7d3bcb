using System.Diagnostics;
using System.Reflection;
using AudioClassifier.Api.Endpoints;
using AudioClassifier.Api.Hosting;
using AudioClassifier.Api.Observability;
using AudioClassifier.Onnx.Inference;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.InferenceProtocol;

/// <summary>
/// The Open Inference Protocol (KServe v2) over REST, for KServe, Triton clients and perf_analyzer: server and model
/// health and metadata, and <c>POST /v2/models/{name}[/versions/{v}]/infer</c> (JSON, or JSON plus binary tensor
/// data). Errors use the protocol's <c>{"error": "..."}</c> shape. Infer has /classify's limits, API key, concurrency
/// limiter, batching and metrics.
/// </summary>
public static class InferenceProtocolEndpoints
{
    /// <summary>The protocol extensions this server implements (GET /v2).</summary>
    public static readonly string[] Extensions = ["binary_tensor_data", "classification"];

    public static IEndpointRouteBuilder MapInferenceProtocolEndpoints(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Open Inference Protocol v2");
        v2.MapGet("", () => TypedResults.Ok(new ServerMetadata("audioclf", ServerVersion, Extensions)))
            .WithName("V2ServerMetadata").WithSummary("Server metadata: name, version and protocol extensions.");
        v2.MapGet("/health/live", () => TypedResults.Ok(new LiveStatus(true))).WithName("V2Live").WithSummary("Server liveness.");
        v2.MapGet("/health/ready", Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> (ModelHost host, ShutdownState shutdown) =>
                host.IsReady && !shutdown.IsStopping ? TypedResults.Ok(new ReadyStatus(true)) : TypedResults.Json(new ReadyStatus(false), statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("V2Ready").WithSummary("Server readiness.");
        foreach (var (prefix, suffix) in new[] { ("/models/{name}", ""), ("/models/{name}/versions/{version}", "Version") })
        {
            v2.MapGet(prefix, (string name, string? version, ModelHost host) => Metadata(name, version, host))
                .WithName("V2ModelMetadata" + suffix).WithSummary("Model metadata: inputs, outputs and labels.")
                .Produces<ModelMetadata>().Produces<ProtocolError>(StatusCodes.Status404NotFound).Produces<ProtocolError>(StatusCodes.Status503ServiceUnavailable);
            v2.MapGet(prefix + "/ready", (string name, string? version, ModelHost host, ShutdownState shutdown) => ModelReady(name, version, host, shutdown))
                .WithName("V2ModelReady" + suffix).WithSummary("Whether the model is ready for inference.")
                .Produces<ModelReadyStatus>().Produces<ModelReadyStatus>(StatusCodes.Status503ServiceUnavailable).Produces<ProtocolError>(StatusCodes.Status404NotFound);
            v2.MapPost(prefix + "/infer", (HttpContext context, string name, string? version, ModelHost host, ServiceMetrics metrics, ApiKeyFilter apiKey, IOptions<ServiceOptions> options) =>
                    InferAsync(context, name, version, host, metrics, apiKey, options.Value))
                .WithName("V2ModelInfer" + suffix)
                .WithSummary("Inference: 'audio' (BYTES, encoded clips, base64 in JSON) or 'log_mel' (FP32 [batch, 1, n_mels, frames]) in; 'probabilities', 'labels', 'recognition_score' and 'recognised' out.")
                .Produces<InferResponseDocument>()
                .Produces<ProtocolError>(StatusCodes.Status400BadRequest).Produces<ProtocolError>(StatusCodes.Status401Unauthorized)
                .Produces<ProtocolError>(StatusCodes.Status404NotFound).Produces<ProtocolError>(StatusCodes.Status413PayloadTooLarge)
                .Produces<ProtocolError>(StatusCodes.Status422UnprocessableEntity).Produces<ProtocolError>(StatusCodes.Status503ServiceUnavailable)
                .DisableAntiforgery()
                .RequireRateLimiting(ClassifierServiceExtensions.ConcurrencyPolicy);
        }
        app.MapGrpcService<GrpcInferenceService>();
        return app;
    }

    internal static string ServerVersion =>
        typeof(InferenceProtocolEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    /// <summary>The served model when <paramref name="name"/> and <paramref name="version"/> name it, else the
    /// protocol error to answer.</summary>
    internal static (AudioClassifierEngine? Engine, IResult? Error) Resolve(string name, string? version, ModelHost host, int retryAfter = 1)
    {
        if (host.Current is not { } engine)
            return (null, Error(StatusCodes.Status503ServiceUnavailable, $"The model is not loaded yet: {host.NotReadyReason}"));
        var c = engine.Contract;
        if (!string.Equals(name, c.ModelName, StringComparison.Ordinal))
            return (null, Error(StatusCodes.Status404NotFound, $"This server serves model '{c.ModelName}', not '{name}'."));
        if (version is not null && !string.Equals(version, c.ModelVersion, StringComparison.Ordinal))
            return (null, Error(StatusCodes.Status404NotFound, $"Model '{name}' is served at version '{c.ModelVersion}', not '{version}'."));
        return (engine, null);
    }

    private static IResult Metadata(string name, string? version, ModelHost host)
    {
        var (engine, error) = Resolve(name, version, host);
        if (engine is null)
            return error!;
        var c = engine.Contract;
        return TypedResults.Ok(new ModelMetadata(c.ModelName, [c.ModelVersion], "onnxruntime_onnx",
            [new TensorMetadata(InferenceRunner.AudioInput, "BYTES", [-1]), new TensorMetadata(InferenceRunner.FeaturesInput, "FP32", [-1, 1, c.Features.NMels, c.Features.Frames])],
            [new TensorMetadata(InferenceRunner.ProbabilitiesOutput, "FP32", [-1, c.Labels.Count]), new TensorMetadata(InferenceRunner.LabelsOutput, "BYTES", [-1]),
                new TensorMetadata(InferenceRunner.RecognitionScoreOutput, "FP32", [-1]), new TensorMetadata(InferenceRunner.RecognisedOutput, "BOOL", [-1])],
            c.Labels, engine.ExecutionProvider));
    }

    private static IResult ModelReady(string name, string? version, ModelHost host, ShutdownState shutdown)
    {
        var (engine, error) = Resolve(name, version, host);
        if (engine is null)
            return error is JsonHttpResult<ProtocolError> { StatusCode: StatusCodes.Status404NotFound } ? error : TypedResults.Json(new ModelReadyStatus(name, false), statusCode: StatusCodes.Status503ServiceUnavailable);
        return shutdown.IsStopping ? TypedResults.Json(new ModelReadyStatus(name, false), statusCode: StatusCodes.Status503ServiceUnavailable) : TypedResults.Ok(new ModelReadyStatus(name, true));
    }

    private static async Task<IResult> InferAsync(HttpContext context, string name, string? version, ModelHost host, ServiceMetrics metrics, ApiKeyFilter apiKey, ServiceOptions settings)
    {
        if (!apiKey.Accepts(context.Request.Headers[settings.ApiKeyHeader]))
            return Error(StatusCodes.Status401Unauthorized, $"Missing or invalid API key: send it in the '{settings.ApiKeyHeader}' header.");
        using var lease = host.Acquire();
        if (lease is null)
            return Unavailable(context, settings, $"The model is not loaded yet: {host.NotReadyReason}");
        var (engine, error) = Resolve(name, version, host);
        if (engine is null || engine != lease.Engine)
            return error ?? Unavailable(context, settings, "The model was swapped during the request; retry.");

        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the limit of {settings.MaxBodyBytes} bytes; send long audio compressed or as several requests.");
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
            metrics.ClientDisconnected();
            return Error(499, $"The request body did not arrive: {e.Message}");
        }

        long? headerLength = null;
        if (context.Request.Headers.TryGetValue(RestInferCodec.HeaderLengthHeader, out var h))
        {
            if (!long.TryParse(h, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
                return Error(StatusCodes.Status400BadRequest, $"{RestInferCodec.HeaderLengthHeader} must be a byte count (got '{h}').");
            headerLength = n;
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        long started = Stopwatch.GetTimestamp();
        deadline.CancelAfter(TimeSpan.FromSeconds(settings.InferenceTimeoutSeconds));
        try
        {
            var request = RestInferCodec.Parse(body, headerLength);
            var outputs = await InferenceRunner.RunAsync(engine, request.Inputs, request.Outputs, settings, deadline, started, metrics);
            var answer = RestInferCodec.Write(engine.Contract.ModelName, engine.Contract.ModelVersion, request.Id, outputs, out var jsonLength);
            if (jsonLength is { } n)
            {
                context.Response.Headers[RestInferCodec.HeaderLengthHeader] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Bytes(answer, "application/octet-stream");
            }
            return TypedResults.Bytes(answer, "application/json");
        }
        catch (InferenceProtocolException e)
        {
            return Error(e.Status, e.Message);
        }
        catch (QueueFullException e)
        {
            return Unavailable(context, settings, e.Message);
        }
        catch (OutOfMemoryException)
        {
            return Unavailable(context, settings, "The service has no memory for this request while it serves others; retry shortly.");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            metrics.ClientDisconnected();
            return Error(499, "The client disconnected before the answer was ready.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Unavailable(context, settings, $"The request was not served within its budget (Service:InferenceTimeoutSeconds {settings.InferenceTimeoutSeconds} s + Service:TimeoutSecondsPerAudioMinute {settings.TimeoutSecondsPerAudioMinute} s per minute of audio).");
        }
    }

    /// <summary>The protocol's error answer.</summary>
    internal static JsonHttpResult<ProtocolError> Error(int status, string message) => TypedResults.Json(new ProtocolError(message), statusCode: status);

    private static JsonHttpResult<ProtocolError> Unavailable(HttpContext context, ServiceOptions settings, string message)
    {
        context.Response.Headers.RetryAfter = settings.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Error(StatusCodes.Status503ServiceUnavailable, message);
    }

    /// <summary>OIP v2 server metadata.</summary>
    public sealed record ServerMetadata(string Name, string Version, IReadOnlyList<string> Extensions);

    /// <summary>OIP v2 server-live answer.</summary>
    public sealed record LiveStatus(bool Live);

    /// <summary>OIP v2 server-ready answer.</summary>
    public sealed record ReadyStatus(bool Ready);

    /// <summary>OIP v2 model-ready answer.</summary>
    public sealed record ModelReadyStatus(string Name, bool Ready);

    /// <summary>The protocol's error body.</summary>
    public sealed record ProtocolError(string Error);

    /// <summary>An input or output tensor as OIP v2 describes it (-1 = dynamic dimension).</summary>
    public sealed record TensorMetadata(string Name, string Datatype, long[] Shape);

    /// <summary>OIP v2 model metadata, extended with the labels and the execution provider.</summary>
    public sealed record ModelMetadata(string Name, IReadOnlyList<string> Versions, string Platform, IReadOnlyList<TensorMetadata> Inputs,
        IReadOnlyList<TensorMetadata> Outputs, IReadOnlyList<string> Labels, string ExecutionProvider);

    /// <summary>An infer request's JSON (for the API description; the endpoint reads the raw body).</summary>
    public sealed record InferRequestDocument(string? Id, IReadOnlyList<InferTensorDocument> Inputs, IReadOnlyList<RequestedOutputDocument>? Outputs, Dictionary<string, object>? Parameters);

    /// <summary>A tensor in an infer request or answer: data flat in row-major order (numbers for FP32, base64 strings
    /// for BYTES inputs, strings for BYTES outputs, true/false for BOOL outputs), or parameters.binary_data_size with the
    /// binary extension.</summary>
    public sealed record InferTensorDocument(string Name, string Datatype, long[] Shape, IReadOnlyList<object>? Data, Dictionary<string, object>? Parameters);

    /// <summary>An output to return; parameters: classification (top k as "score:index:label"), binary_data.</summary>
    public sealed record RequestedOutputDocument(string Name, Dictionary<string, object>? Parameters);

    /// <summary>An infer answer's JSON.</summary>
    public sealed record InferResponseDocument(string ModelName, string ModelVersion, string? Id, IReadOnlyList<InferTensorDocument> Outputs);
}
