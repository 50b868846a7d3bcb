using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AudioClassifier.Api.Endpoints;

/// <summary>
/// Documents /classify's upload precisely: multipart/form-data with a binary 'file' field, or the raw audio bytes
/// (binary, not base64) under each accepted audio content type; and describes the query parameters.
/// </summary>
public sealed class ClassifyRequestBodyFilter : IOperationFilter
{
    public static readonly string[] RawContentTypes = ["audio/wav", "audio/mpeg", "audio/ogg", "application/octet-stream"];

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is not ("Classify" or "Spectrogram"))
            return;
        var content = new Dictionary<string, IOpenApiMediaType>
        {
            ["multipart/form-data"] = new OpenApiMediaType
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "file" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The audio file (WAV, MP3 or Ogg Vorbis)." },
                    },
                },
            },
        };
        foreach (var type in RawContentTypes)
            content[type] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The clip, as a multipart upload or as the raw body. The format is detected from the bytes, not from the content type.",
            Content = content,
        };
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter p)
            {
                p.Description = p.Name switch
                {
                    "top_k" => "How many labels to return (1 or more; more than the model's labels returns them all; default 5).",
                    "windows" => "Include the per-window timeline (clips longer than the model's window).",
                    "min_score" => "The recognition score this request needs to call the clip recognised, in [-1, 1] (a probability for max_probability models, a cosine similarity for training_similarity ones); default: the model's calibrated threshold or Classifier:MinScore.",
                    "spectrogram" => "Include what the model sees of the first window (its log-mel input) as a PNG data URL.",
                    _ => p.Description,
                };
                // Bound as text so that a bad value gets a problem naming it (ClassifyQuery); documented as typed.
                p.Schema = p.Name switch
                {
                    "top_k" => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                    "windows" or "spectrogram" => new OpenApiSchema { Type = JsonSchemaType.Boolean },
                    "min_score" => new OpenApiSchema { Type = JsonSchemaType.Number, Format = "double", Minimum = "-1", Maximum = "1" },
                    _ => p.Schema,
                };
            }
        }
    }
}
