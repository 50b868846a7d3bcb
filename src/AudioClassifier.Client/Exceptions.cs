using System.Net;

namespace AudioClassifier.Client;

/// <summary>The service refused or failed a request; <see cref="Problem"/> carries its problem details.</summary>
public class AudioClassifierException(HttpStatusCode status, ProblemDetails? problem, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode StatusCode { get; } = status;

    public ProblemDetails? Problem { get; } = problem;
}

/// <summary>The audio is corrupt, unsupported, empty or too long (400, 415, 422): retrying will not help.</summary>
public sealed class InvalidAudioException(HttpStatusCode status, ProblemDetails? problem, string message)
    : AudioClassifierException(status, problem, message);

/// <summary>The upload exceeds the service's body limit (413).</summary>
public sealed class PayloadTooLargeException(ProblemDetails? problem, string message)
    : AudioClassifierException(HttpStatusCode.RequestEntityTooLarge, problem, message);

/// <summary>The API key is missing or wrong (401).</summary>
public sealed class UnauthorizedException(ProblemDetails? problem, string message)
    : AudioClassifierException(HttpStatusCode.Unauthorized, problem, message);

/// <summary>The service stayed unavailable after the retries, or the circuit breaker is open.</summary>
public sealed class ServiceUnavailableException(HttpStatusCode status, ProblemDetails? problem, string message, Exception? inner = null)
    : AudioClassifierException(status, problem, message, inner);
