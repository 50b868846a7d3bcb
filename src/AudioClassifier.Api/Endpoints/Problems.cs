using AudioClassifier.Audio.Decoding;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AudioClassifier.Api.Endpoints;

/// <summary>RFC 7807 problem responses for every way a request can fail, with a precise detail.</summary>
public static class Problems
{
    public static ProblemHttpResult For(AudioDecodeException e) => e.Kind switch
    {
        AudioErrorKind.UnsupportedFormat => Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported audio format", e.Message),
        AudioErrorKind.Empty => Create(StatusCodes.Status422UnprocessableEntity, "Empty audio", e.Message),
        AudioErrorKind.TooLong => Create(StatusCodes.Status422UnprocessableEntity, "Audio too long", e.Message),
        AudioErrorKind.TooManyChannels => Create(StatusCodes.Status422UnprocessableEntity, "Too many channels", e.Message),
        AudioErrorKind.TooShort => Create(StatusCodes.Status422UnprocessableEntity, "Audio too short", e.Message),
        _ => Create(StatusCodes.Status400BadRequest, "Corrupt audio", e.Message),
    };

    public static ProblemHttpResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: $"https://httpstatuses.io/{status}");

    /// <summary>503 with Retry-After: the client should come back shortly.</summary>
    public static ProblemHttpResult Unavailable(HttpContext context, string title, string detail, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(StatusCodes.Status503ServiceUnavailable, title, detail);
    }

    /// <summary>503 with Retry-After: the request's processing budget ran out (the service is overloaded).</summary>
    public static ProblemHttpResult TimedOut(HttpContext context, ServiceOptions settings, string what) =>
        Unavailable(context, "Timed out", $"The clip was not {what} within its budget (Service:InferenceTimeoutSeconds {settings.InferenceTimeoutSeconds} s + Service:TimeoutSecondsPerAudioMinute {settings.TimeoutSecondsPerAudioMinute} s per minute of audio); the service is overloaded.", settings.RetryAfterSeconds);
}
