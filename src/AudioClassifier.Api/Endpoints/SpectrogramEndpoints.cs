using AudioClassifier.Api.Hosting;
using AudioClassifier.Api.Observability;
using AudioClassifier.Imaging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.Endpoints;

/// <summary>POST /spectrogram: the log-mel matrix the model sees for a clip (its first window), as a PNG picture.</summary>
public static class SpectrogramEndpoints
{
    public static IEndpointRouteBuilder MapSpectrogramEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/spectrogram", RenderAsync)
            .WithName("Spectrogram")
            .WithSummary("Render the log-mel spectrogram the model sees")
            .WithDescription("Same upload as /classify. Returns a PNG of the model input for the clip's first window, with time and mel-frequency axes and a dB colour bar.")
            .Produces(StatusCodes.Status200OK, contentType: "image/png")
            .WithAudioUploadConventions();
        return app;
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> RenderAsync(HttpContext context, ModelHost host, ServiceMetrics metrics, IOptions<ServiceOptions> options)
    {
        using var lease = host.Acquire();
        if (lease is null)
            return Problems.Unavailable(context, "Model not ready", $"The model is not loaded yet: {host.NotReadyReason}", options.Value.RetryAfterSeconds);
        // The same processing budget as /classify's: decoding stops when it runs out (the picture's features, made
        // after it, are not interruptible).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        try
        {
            var (clip, problem) = await AudioRequest.DecodeAsync(context, lease.Engine, options.Value, metrics, deadline);
            if (problem is not null)
                return problem;
            deadline.Token.ThrowIfCancellationRequested();
            return TypedResults.File(Png(lease.Engine, clip!), "image/png");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return Problems.TimedOut(context, options.Value, "rendered");
        }
    }

    /// <summary>The picture as a data: URL, for /classify?spectrogram=true (one upload gives the answer and the picture).</summary>
    public static string DataUrl(Onnx.Inference.AudioClassifierEngine engine, Audio.Decoding.AudioClip clip) =>
        "data:image/png;base64," + Convert.ToBase64String(Png(engine, clip));

    private static byte[] Png(Onnx.Inference.AudioClassifierEngine engine, Audio.Decoding.AudioClip clip)
    {
        var spec = engine.Contract.Features;
        var image = SpectrogramRenderer.Render(engine.Features(clip), spec, $"Model input: {spec.NMels} mels x {spec.Frames} frames");
        return PngEncoder.Encode(image);
    }
}
