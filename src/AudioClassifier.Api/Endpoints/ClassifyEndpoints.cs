using AudioClassifier.Api.Hosting;
using AudioClassifier.Api.Observability;
using AudioClassifier.Onnx.Inference;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.Endpoints;

/// <summary>POST /classify: an audio clip in (multipart field "file" or a raw body), the top-k labels out.</summary>
public static class ClassifyEndpoints
{
    public static IEndpointRouteBuilder MapClassifyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/classify", ClassifyAsync)
            .WithName("Classify")
            .WithSummary("Classify an audio clip")
            .WithDescription("Upload WAV, MP3 or Ogg Vorbis as multipart/form-data (field 'file') or as the raw request body. The format is detected from the bytes. Clips longer than the model's window are scored in overlapping windows and averaged.")
            .Produces<ClassifyResponse>(StatusCodes.Status200OK)
            .WithAudioUploadConventions();
        return app;
    }

    private static async Task<Results<Ok<ClassifyResponse>, ProblemHttpResult>> ClassifyAsync(
        HttpContext context,
        ModelHost host,
        ServiceMetrics metrics,
        IOptions<ServiceOptions> options,
        [FromQuery(Name = "top_k")] string? topKText,
        [FromQuery(Name = "windows")] string? windowsText,
        [FromQuery(Name = "min_score")] string? minScoreText,
        [FromQuery(Name = "spectrogram")] string? spectrogramText)
    {
        var settings = options.Value;
        var ct = context.RequestAborted;
        var (topK, windows, invalid) = ClassifyQuery.Parse(topKText, windowsText);
        if (invalid is not null)
            return invalid;
        var (minScore, badMinScore) = ClassifyQuery.ParseMinScore(minScoreText);
        if (badMinScore is not null)
            return badMinScore;
        var (spectrogram, badSpectrogram) = ClassifyQuery.ParseFlag("spectrogram", spectrogramText);
        if (badSpectrogram is not null)
            return badSpectrogram;
        using var lease = host.Acquire();
        if (lease is null)
            return Problems.Unavailable(context, "Model not ready", $"The model is not loaded yet: {host.NotReadyReason}", settings.RetryAfterSeconds);
        var engine = lease.Engine;

        // The request's processing budget: from the end of the upload to the answer (decode, features, queue, run).
        // Cancelled by the timeout or by the client going away, every stage stops at its next check, a queued request
        // leaves the queue, and a model run serving only this request is terminated.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            var (clip, problem) = await AudioRequest.DecodeAsync(context, engine, settings, metrics, deadline);
            if (problem is not null)
                return problem;
            var result = await engine.ClassifyAsync(clip!, topK ?? engine.Options.DefaultTopK, deadline.Token);
            if (minScore is { } m) // the caller's threshold replaces the configured or calibrated one
            {
                result = result with
                {
                    Threshold = m,
                    Recognised = !result.Silent && result.RecognitionScore >= m,
                    Events = result.Events.Select(e => e with { Recognised = e.RecognitionScore >= m }).ToList(),
                };
            }
            metrics.Classified(result.FeatureTime, result.InferenceTime);
            var timing = ServerTiming.For(context);
            timing.Add("features", result.FeatureTime);
            timing.Add("inference", result.InferenceTime);
            return TypedResults.Ok(new ClassifyResponse(result.Top?.Label, result.Top?.Score ?? 0, result.TopK, result.DurationSeconds,
                new ModelIdentity(result.ModelName, result.ModelVersion), result.ExecutionProvider, windows ? result.Timeline : null,
                result.Silent, result.Recognised, result.RecognitionScore, result.RecognitionScoreName, result.Threshold, result.Events, result.Summary,
                spectrogram ? SpectrogramEndpoints.DataUrl(engine, clip!) : null));
        }
        catch (QueueFullException e)
        {
            return Problems.Unavailable(context, "Overloaded", e.Message, settings.RetryAfterSeconds);
        }
        catch (OutOfMemoryException)
        {
            // A large buffer (a long clip's samples) did not fit under the GC's heap limit (75 % of a container's
            // memory limit) while other requests held theirs: load, not a defect; the buffers were never filled.
            return Problems.Unavailable(context, "Insufficient memory", "The service has no memory for this clip while it serves others; retry shortly or send a shorter clip.", settings.RetryAfterSeconds);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            metrics.ClientDisconnected();
            return Problems.Create(499, "Client closed request", "The client disconnected before the answer was ready.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Problems.TimedOut(context, settings, "classified");
        }
    }
}
