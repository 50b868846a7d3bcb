using Microsoft.AspNetCore.Diagnostics;

namespace AudioClassifier.Api.InferenceProtocol;

/// <summary>
/// The service's one exception mapping, for Open Inference Protocol REST requests: a failure of ours (a model that
/// answers NaN) is the protocol's <c>{"error": ...}</c>, which its clients read, where every other request gets the
/// problem+json 500. Logged and counted like any other 500 (the exception-handler middleware and the request metrics).
/// </summary>
internal sealed class ProtocolExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!context.Request.Path.StartsWithSegments("/v2"))
            return false;
        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        await context.Response.WriteAsJsonAsync(new InferenceProtocolEndpoints.ProtocolError(
            "The server failed while answering this request; the failure is logged."), cancellationToken);
        return true;
    }
}
