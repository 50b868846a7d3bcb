using System.Diagnostics;
using AudioClassifier.Api.Observability;
using AudioClassifier.Audio.Buffers;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Inference;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AudioClassifier.Api.Endpoints;

/// <summary>
/// Reads an uploaded clip (multipart field "file" or a raw audio body), bounded in size and buffered in memory, and
/// decodes it with the engine's limits; every failure becomes the right problem response.
/// </summary>
public static class AudioRequest
{
    private static readonly ActivitySource Activities = new(Hosting.TelemetryServiceExtensions.ActivitySourceName);

    public static readonly string[] RawContentTypes = ["audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp3", "audio/ogg", "application/ogg", "application/octet-stream"];

    /// <param name="deadline">Started once the body has arrived: the request's processing budget, the longest clip's
    /// while decoding (<see cref="ServiceOptions.DecodeBudget"/>), then the decoded clip's; the decoder honours it and
    /// the caller passes its token on to the engine.</param>
    public static async Task<(AudioClip? Clip, ProblemHttpResult? Problem)> DecodeAsync(HttpContext context, AudioClassifierEngine engine, ServiceOptions settings, ServiceMetrics metrics, CancellationTokenSource? deadline = null)
    {
        if (context.Request.ContentLength > settings.MaxBodyBytes)
            return (null, TooLarge(settings));
        var timing = ServerTiming.For(context);
        byte[]? pooled = null;
        bool bodyRead = false;
        try
        {
            var watch = Stopwatch.StartNew();
            Stream? body;
            ProblemHttpResult? problem;
            using (Activities.StartActivity("read"))
                (body, problem) = await ReadAsync(context, settings, buffer => pooled = buffer, context.RequestAborted);
            timing.Add("read", watch.Elapsed);
            if (problem is not null)
                return (null, problem);
            bodyRead = true;
            deadline?.CancelAfter(settings.DecodeBudget(engine.Options.MaxAudioSeconds));
            context.RequestAborted.ThrowIfCancellationRequested();
            watch.Restart();
            AudioClip clip;
            using (var span = Activities.StartActivity("decode"))
            {
                clip = engine.Decode(body!, deadline?.Token ?? context.RequestAborted);
                span?.SetTag("audioclf.audio_seconds", clip.Duration.TotalSeconds);
                span?.SetTag("audioclf.sample_rate", clip.SampleRate);
            }
            // Now that its length is known, the budget is the one for it.
            if (deadline is not null)
                RequestDeadline.EndAfter(deadline, settings.BudgetFor(clip.Duration), watch.Elapsed);
            timing.Add("decode", watch.Elapsed);
            metrics.Decoded(watch.Elapsed, clip.Duration.TotalSeconds);
            return (clip, null);
        }
        catch (AudioDecodeException e)
        {
            return (null, Problems.For(e));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(settings));
        }
        catch (IOException e) when (context.Request.HasFormContentType && !context.RequestAborted.IsCancellationRequested)
        {
            // The whole body arrived (the client is still there) but the multipart reader ran out of it mid-part.
            return (null, Problems.Create(StatusCodes.Status400BadRequest, "Malformed multipart body",
                $"The multipart body ended before its closing boundary ({e.Message.Trim()})."));
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
        {
            throw; // the budget ran out while decoding: the caller answers "timed out"
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // The client went away mid-upload, or sent its body too slowly (Kestrel's minimum data rate): nothing
            // to answer, but it is counted so that abandoned uploads show in /metrics.
            metrics.ClientDisconnected();
            if (bodyRead && e is OperationCanceledException)
                return (null, Problems.Create(499, "Client closed request", "The client disconnected while its clip was being decoded."));
            var status = e is BadHttpRequestException bad ? bad.StatusCode : 499;
            return (null, Problems.Create(status, "Upload incomplete", $"The request body did not arrive: {e.Message}"));
        }
        catch (InvalidDataException e)
        {
            // Only the multipart body length limit (ours: Service:MaxBodyBytes) is "too large"; every other form limit
            // (parts, key or line length, a boundary never found) means a malformed body, named as such.
            bool bodyLimit = e.Message.Contains(settings.MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                && e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase);
            return (null, bodyLimit
                ? TooLarge(settings)
                : Problems.Create(StatusCodes.Status400BadRequest, "Malformed multipart body", $"The multipart body cannot be read: {e.Message}"));
        }
        finally
        {
            // The clip holds its own samples; the encoded bytes are not needed once decoded.
            if (pooled is not null)
                RequestBuffers.Return(pooled);
        }
    }

    /// <param name="rented">Told of a pooled buffer holding the body, to be returned once the body is decoded.</param>
    private static async Task<(Stream? Body, ProblemHttpResult? Problem)> ReadAsync(HttpContext context, ServiceOptions settings, Action<byte[]> rented, CancellationToken ct)
    {
        var request = context.Request;
        if (request.HasFormContentType)
        {
            if (!request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
                return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Form uploads must be multipart/form-data with a 'file' field."));
            var form = await request.ReadFormAsync(ct);
            var files = form.Files.GetFiles("file");
            if (files.Count == 0)
                return (null, Problems.Create(StatusCodes.Status400BadRequest, "Missing file", "The multipart body has no 'file' field."));
            if (files.Count > 1) // one clip per request: answering for the first and ignoring the rest misleads
                return (null, Problems.Create(StatusCodes.Status400BadRequest, "Several files",
                    $"The multipart body has {files.Count} 'file' fields; /classify takes one clip per request (send several with /v2 infer's batch)."));
            return (files[0].OpenReadStream(), null);
        }
        var contentType = request.ContentType?.Split(';')[0].Trim();
        if (contentType is not null && !RawContentTypes.Contains(contentType, StringComparer.OrdinalIgnoreCase))
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Content-Type '{ClassifyQuery.Shorten(request.ContentType!, 80)}' is not accepted; send multipart/form-data (field 'file') or a raw body as {string.Join(", ", RawContentTypes)}."));
        // Buffer in memory (bounded by Kestrel's MaxRequestBodySize), never in temp files. With a Content-Length the
        // buffer comes from the pool: a 5 s WAV is 441 KB, otherwise a large-object allocation per request.
        if (request.ContentLength is long length && length > 0 && length <= settings.MaxBodyBytes)
        {
            var pooled = RequestBuffers.Rent<byte>((int)length);
            rented(pooled);
            await request.Body.ReadExactlyAsync(pooled.AsMemory(0, (int)length), ct);
            return (new MemoryStream(pooled, 0, (int)length, writable: false, publiclyVisible: true), null);
        }
        var buffer = new MemoryStream(capacity: 64 * 1024);
        await request.Body.CopyToAsync(buffer, ct);
        buffer.Position = 0;
        return (buffer, null);
    }

    private static ProblemHttpResult TooLarge(ServiceOptions settings) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Upload too large",
            $"The request body exceeds the limit of {settings.MaxBodyBytes} bytes ({Hosting.CoherentLimits.SecondsIn(settings.MaxBodyBytes):0} s of 16-bit mono 48 kHz WAV); send long or multichannel audio compressed (MP3, Ogg) or downmixed to mono.");
}
