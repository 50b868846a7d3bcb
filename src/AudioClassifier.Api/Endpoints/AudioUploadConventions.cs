namespace AudioClassifier.Api.Endpoints;

/// <summary>What every audio-upload endpoint shares: its problem responses, no antiforgery, the concurrency limiter and the API key.</summary>
public static class AudioUploadConventions
{
    public static RouteHandlerBuilder WithAudioUploadConventions(this RouteHandlerBuilder endpoint) => endpoint
        .WithTags("Classification")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .DisableAntiforgery()
        .RequireRateLimiting(Hosting.ClassifierServiceExtensions.ConcurrencyPolicy)
        .AddEndpointFilter<ApiKeyFilter>();
}
