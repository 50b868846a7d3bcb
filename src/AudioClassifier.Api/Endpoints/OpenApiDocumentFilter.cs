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
        // Health checks and the Prometheus scrape are middleware endpoints (MapHealthChecks, OpenTelemetry's exporter)
        // that API discovery does not see: described here as the service answers them.
        var live = context.SchemaGenerator.GenerateSchema(typeof(HealthEndpoints.LiveResponse), context.SchemaRepository);
        var ready = context.SchemaGenerator.GenerateSchema(typeof(HealthEndpoints.ReadyResponse), context.SchemaRepository);
        document.Paths["/healthz/live"] = Get(document, "Health", "Live", "The process is up.", ("200", "OK", "application/json", live));
        document.Paths["/healthz/ready"] = Get(document, "Health", "Ready", "A model is loaded and warmed up, and the service is not shutting down.",
            ("200", "OK", "application/json", ready), ("503", "Service Unavailable", "application/json", ready));
        document.Paths["/metrics"] = Get(document, "Observability", "Metrics",
            "Prometheus metrics: the service's (audioclf_*), ASP.NET Core's HTTP server metrics and the runtime's process metrics.",
            ("200", "OK", "text/plain", new OpenApiSchema { Type = JsonSchemaType.String }));
    }

    private static OpenApiPathItem Get(OpenApiDocument document, string tag, string id, string summary, params (string Status, string Description, string MediaType, IOpenApiSchema Schema)[] responses)
    {
        var operation = new OpenApiOperation
        {
            Tags = new HashSet<OpenApiTagReference> { new(tag, document) },
            Summary = summary,
            OperationId = id,
            Responses = new OpenApiResponses(),
            Security = [new OpenApiSecurityRequirement()],
        };
        foreach (var r in responses)
        {
            operation.Responses[r.Status] = new OpenApiResponse
            {
                Description = r.Description,
                Content = new Dictionary<string, IOpenApiMediaType> { [r.MediaType] = new OpenApiMediaType { Schema = r.Schema } },
            };
        }
        return new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation } };
    }

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId?.StartsWith("V2ModelInfer", StringComparison.Ordinal) == true)
        {
            // The endpoint reads the raw body (JSON, or JSON followed by binary tensor data), so it is described here.
            var schema = context.SchemaGenerator.GenerateSchema(typeof(InferenceProtocol.InferenceProtocolEndpoints.InferRequestDocument), context.SchemaRepository);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "The infer request as JSON; with the binary tensor data extension, the JSON (its length in the Inference-Header-Content-Length header) followed by the inputs' binary data.",
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    ["application/json"] = new OpenApiMediaType { Schema = schema },
                    ["application/octet-stream"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                },
            };
        }
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
