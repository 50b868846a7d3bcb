using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.Endpoints;

/// <summary>One clip the page offers to try.</summary>
public sealed record ExampleClip(string Name, string Url);

/// <summary>The clips the page offers to try, with the credit their licence asks for.</summary>
public sealed record ExamplesResponse(IReadOnlyList<ExampleClip> Clips, string? Attribution);

/// <summary>GET /examples and /examples/{index}: the configured example clips (Service:ExampleClips) for the web page.</summary>
public static partial class ExampleEndpoints
{
    public static IEndpointRouteBuilder MapExampleEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/examples", List)
            .WithName("Examples")
            .WithSummary("Example clips to try")
            .WithDescription("The clips configured in Service:ExampleClips (none by default), named after their folder, with their attribution.");
        app.MapGet("/examples/{index:int}", Get)
            .WithName("Example")
            .WithSummary("One example clip's audio")
            .Produces(StatusCodes.Status200OK, contentType: "audio/ogg", additionalContentTypes: ["audio/wav", "audio/mpeg"])
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The MIME type of a clip the service can decode, by its extension (null for anything else).</summary>
    public static string? ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".wav" => "audio/wav",
        ".mp3" => "audio/mpeg",
        ".ogg" => "audio/ogg",
        _ => null,
    };

    private static Ok<ExamplesResponse> List(IOptions<ServiceOptions> options)
    {
        var clips = options.Value.ExampleClips.Select((path, i) => new ExampleClip(Name(path), $"/examples/{i}")).ToList();
        return TypedResults.Ok(new ExamplesResponse(clips, clips.Count > 0 ? options.Value.ExamplesAttribution : null));
    }

    private static Results<PhysicalFileHttpResult, ProblemHttpResult> Get(int index, HttpContext context, IOptions<ServiceOptions> options)
    {
        var clips = options.Value.ExampleClips;
        if (index < 0 || index >= clips.Count)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such example", detail: $"There are {clips.Count} example clips (0 to {clips.Count - 1}).", instance: context.Request.Path);
        var path = Path.GetFullPath(clips[index]);
        if (!File.Exists(path)) // checked at start; removed since
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Example missing", detail: $"Example {index} ({Path.GetFileName(path)}) is no longer on the server.", instance: context.Request.Path);
        return TypedResults.PhysicalFile(path, ContentType(path)!, Path.GetFileName(path));
    }

    // "001 - Dog bark/1-100032-A.ogg" → "Dog bark"; a file outside a labelled folder keeps its own name.
    private static string Name(string path)
    {
        var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "");
        var label = LabelFolder().Replace(folder, "");
        return string.IsNullOrWhiteSpace(label) ? Path.GetFileNameWithoutExtension(path) : label;
    }

    [GeneratedRegex(@"^\d+ - ")]
    private static partial Regex LabelFolder();
}
