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
        string? given = context.HttpContext.Request.Headers[header];
        // Hashing first makes the comparison constant-time whatever the lengths.
        if (given is null || !CryptographicOperations.FixedTimeEquals(_expected, SHA256.HashData(Encoding.UTF8.GetBytes(given))))
            return Problems.Create(StatusCodes.Status401Unauthorized, "Missing or invalid API key", $"Send the API key in the '{header}' header.");
        return await next(context);
    }
}
