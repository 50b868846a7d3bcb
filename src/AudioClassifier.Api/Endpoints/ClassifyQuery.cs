using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AudioClassifier.Api.Endpoints;

/// <summary>
/// /classify's query parameters, parsed by hand so that a bad value is a 400 naming the parameter and the value
/// (minimal API binding answers a bare 400 with no detail).
/// </summary>
public static class ClassifyQuery
{
    /// <summary>A true/false flag (true, false, 1, 0; present without a value: true).</summary>
    public static (bool Value, ProblemHttpResult? Problem) ParseFlag(string name, string? text) =>
        text?.Trim().ToLowerInvariant() switch
        {
            null or "false" or "0" => (false, null),
            "true" or "1" or "" => (true, null),
            _ => (false, Invalid(name, $"{name} must be true or false (got '{Shorten(text)}')."))
        };

    /// <summary>min_score: the recognition score a clip needs to count as recognised, in [-1, 1] (a probability for
    /// max_probability models, a cosine similarity for training_similarity ones).</summary>
    public static (double? MinScore, ProblemHttpResult? Problem) ParseMinScore(string? minScore)
    {
        if (minScore is null)
            return (null, null);
        if (!double.TryParse(minScore, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            return (null, Invalid("min_score", $"min_score must be a number between -1 and 1 (got '{Shorten(minScore)}')."));
        return value is < -1 or > 1 ? (null, Invalid("min_score", $"min_score must be between -1 and 1 (got {value}).")) : (value, null);
    }

    /// <summary>top_k (a whole number ≥ 1; larger than the model's label count returns every label, so a client
    /// keeps working when a reloaded model has fewer classes) and windows (true/false/1/0).</summary>
    public static (int? TopK, bool Windows, ProblemHttpResult? Problem) Parse(string? topK, string? windows)
    {
        int? k = null;
        if (topK is not null)
        {
            if (!int.TryParse(topK, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed))
                return (null, false, Invalid("top_k", $"top_k must be a whole number of labels (got '{Shorten(topK)}')."));
            if (parsed < 1)
                return (null, false, Invalid("top_k", $"top_k must be at least 1 (got {parsed})."));
            k = parsed;
        }
        bool w = false;
        if (windows is not null)
        {
            switch (windows.Trim().ToLowerInvariant())
            {
                case "true" or "1" or "":
                    w = true;
                    break;
                case "false" or "0":
                    break;
                default:
                    return (null, false, Invalid("windows", $"windows must be true or false (got '{Shorten(windows)}')."));
            }
        }
        return (k, w, null);
    }

    private static ProblemHttpResult Invalid(string name, string detail) =>
        Problems.Create(StatusCodes.Status400BadRequest, $"Invalid {name}", detail);

    /// <summary>A client's text echoed back in a problem, cut to <paramref name="most"/> characters.</summary>
    internal static string Shorten(string value, int most = 40) => value.Length <= most ? value : value[..most] + "…";
}
