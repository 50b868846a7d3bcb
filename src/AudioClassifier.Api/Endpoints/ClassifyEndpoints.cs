using System.Diagnostics;
using AudioClassifier.Api.Hosting;
using AudioClassifier.Api.Observability;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Inference;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace AudioClassifier.Api.Endpoints;

/// <summary>POST /classify: an audio clip in (multipart field "file" or a raw body), the top-k labels out.</summary>
public static class ClassifyEndpoints
{
    private static readonly string[] RawContentTypes = ["audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp3", "audio/ogg", "application/ogg", "application/octet-stream"];

    public static IEndpointRouteBuilder MapClassifyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/classify", ClassifyAsync)
            .WithName("Classify")
            .WithSummary("Classify an audio clip")
            .WithDescription("Upload WAV, MP3 or Ogg Vorbis as multipart/form-data (field 'file') or as the raw request body. The format is detected from the bytes. Clips longer than the model's window are scored in overlapping windows and averaged.")
            .WithTags("Classification")
            .Produces<ClassifyResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery()
            .AddEndpointFilter<ApiKeyFilter>();
        return app;
    }

    private static async Task<Results<Ok<ClassifyResponse>, ProblemHttpResult>> ClassifyAsync(
        HttpContext context,
        ModelHost host,
        ServiceMetrics metrics,
        IOptions<ServiceOptions> options,
        [FromKeyedServices("inference")] ResiliencePipeline inferencePipeline,
        [FromQuery(Name = "top_k")] int? topK,
        [FromQuery(Name = "windows")] bool? windows)
    {
        var settings = options.Value;
        var ct = context.RequestAborted;
        if (context.Request.ContentLength > settings.MaxBodyBytes)
            return TooLarge(settings);
        using var lease = host.Acquire();
        if (lease is null)
            return Problems.Unavailable(context, "Model not ready", $"The model is not loaded yet: {host.NotReadyReason}", settings.RetryAfterSeconds);
        var engine = lease.Engine;
        int labels = engine.Contract.Labels.Count;
        if (topK is < 1 || topK > labels)
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid top_k", $"top_k must be between 1 and {labels} (got {topK}).");

        try
        {
            var (body, problem) = await ReadAudioAsync(context, settings, ct);
            if (problem is not null)
                return problem;
            var watch = Stopwatch.StartNew();
            var clip = engine.Decode(body!);
            metrics.FeaturesComputed(watch.Elapsed.TotalSeconds, clip.Duration.TotalSeconds);
            watch.Restart();
            var result = await inferencePipeline.ExecuteAsync(async token => await engine.ClassifyAsync(clip, topK ?? engine.Options.DefaultTopK, token), ct);
            metrics.InferenceCompleted(watch.Elapsed.TotalSeconds);
            return TypedResults.Ok(new ClassifyResponse(result.Top.Label, result.Top.Score, result.TopK, result.DurationSeconds,
                new ModelIdentity(result.ModelName, result.ModelVersion), result.ExecutionProvider, windows == true ? result.Timeline : null));
        }
        catch (AudioDecodeException e)
        {
            return Problems.For(e);
        }
        catch (QueueFullException e)
        {
            return Problems.Unavailable(context, "Overloaded", e.Message, settings.RetryAfterSeconds);
        }
        catch (TimeoutRejectedException)
        {
            return Problems.Unavailable(context, "Inference timed out", $"Inference did not finish within {settings.InferenceTimeoutSeconds} s; the service is overloaded.", settings.RetryAfterSeconds);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(settings);
        }
        catch (InvalidDataException e)
        {
            // Multipart bodies that exceed the form limits or are malformed.
            return e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? TooLarge(settings)
                : Problems.Create(StatusCodes.Status400BadRequest, "Malformed multipart body", e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            metrics.ClientDisconnected();
            return Problems.Create(499, "Client closed request", "The client disconnected before the answer was ready.");
        }
    }

    private static async Task<(Stream? Body, ProblemHttpResult? Problem)> ReadAudioAsync(HttpContext context, ServiceOptions settings, CancellationToken ct)
    {
        var request = context.Request;
        if (request.HasFormContentType)
        {
            if (!request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
                return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Form uploads must be multipart/form-data with a 'file' field."));
            var form = await request.ReadFormAsync(ct);
            var file = form.Files.GetFile("file");
            if (file is null)
                return (null, Problems.Create(StatusCodes.Status400BadRequest, "Missing file", "The multipart body has no 'file' field."));
            return (file.OpenReadStream(), null);
        }
        var contentType = request.ContentType?.Split(';')[0].Trim();
        if (contentType is not null && !RawContentTypes.Contains(contentType, StringComparer.OrdinalIgnoreCase))
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Content-Type '{contentType}' is not accepted; send multipart/form-data (field 'file') or a raw body as {string.Join(", ", RawContentTypes)}."));
        // Buffer in memory (bounded by Kestrel's MaxRequestBodySize), never in temp files.
        var buffer = new MemoryStream(capacity: (int)Math.Min(request.ContentLength ?? 64 * 1024, settings.MaxBodyBytes));
        await request.Body.CopyToAsync(buffer, ct);
        buffer.Position = 0;
        return (buffer, null);
    }

    private static ProblemHttpResult TooLarge(ServiceOptions settings) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"The request body exceeds the limit of {settings.MaxBodyBytes} bytes.");
}
