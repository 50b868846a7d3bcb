using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.Endpoints;

/// <summary>Requires the configured API key (when one is set), compared in constant time.</summary>
public sealed class ApiKeyFilter(IOptions<ServiceOptions> options) : IEndpointFilter
{
    private readonly byte[]? _expected = options.Value.ApiKey is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_expected is null)
            return await next(context);
        var header = options.Value.ApiKeyHeader;
        if (!Accepts(context.HttpContext.Request.Headers[header]))
            return Problems.Create(StatusCodes.Status401Unauthorized, "Missing or invalid API key", $"Send the API key in the '{header}' header.");
        return await next(context);
    }

    /// <summary>True when no key is configured, or <paramref name="given"/> is it (compared in constant time: hashing
    /// first makes the comparison's time independent of the lengths). Shared by every protocol (REST, gRPC metadata).</summary>
    public bool Accepts(string? given) =>
        _expected is null || (given is not null && CryptographicOperations.FixedTimeEquals(_expected, SHA256.HashData(Encoding.UTF8.GetBytes(given))));
}
