using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AudioClassifier.Api.Endpoints;

/// <summary>
/// Completes the generated document: a server relative to where the document is served, tag descriptions, and security — the optional API key on
/// /classify, and an explicit "no authentication" on health, metadata and metrics, which stay open; the
/// Server-Timing header of /classify answers.
/// </summary>
public sealed class OpenApiDocumentFilter : IDocumentFilter, IOperationFilter
{
    public const string ApiKeyScheme = "ApiKey";

    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Classification"] = "Classify audio clips.",
        ["Health"] = "Liveness and readiness probes.",
        ["Open Inference Protocol v2"] = "KServe v2 health and model metadata paths.",
        ["Observability"] = "Prometheus metrics.",
    };

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        // Relative: Swagger UI's "Try it out" calls whatever host, port and path prefix served the document (any
        // --urls port, behind a proxy or ingress), and the committed openapi.yaml names no machine.
        document.Servers = [new OpenApiServer { Url = "/", Description = "This service (relative to the document's address)" }];
        document.Tags = TagDescriptions.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }).ToHashSet();
    }

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        operation.Security = operation.OperationId is "Classify" or "Spectrogram"
            ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }]
            : [new OpenApiSecurityRequirement()];
        if (operation.OperationId == "Classify" && operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["Server-Timing"] = new OpenApiHeader
            {
                Description = "The service's time per stage in milliseconds (W3C Server Timing): read, decode, features, inference.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }
    }
}
