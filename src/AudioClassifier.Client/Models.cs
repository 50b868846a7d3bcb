using System.Text.Json.Serialization;

namespace AudioClassifier.Client;

/// <summary>A label and its probability.</summary>
public sealed record LabelScore([property: JsonPropertyName("label")] string Label, [property: JsonPropertyName("score")] float Score);

/// <summary>The model's view of one window of the clip.</summary>
public sealed record WindowScore(
    [property: JsonPropertyName("start_seconds")] double StartSeconds,
    [property: JsonPropertyName("end_seconds")] double EndSeconds,
    [property: JsonPropertyName("top_k")] IReadOnlyList<LabelScore> TopK)
{
    /// <summary>The window is too quiet to classify (no labels).</summary>
    [JsonPropertyName("silent")] public bool Silent { get; init; }
}

/// <summary>A stretch of the clip where one label wins.</summary>
public sealed record SoundEvent(
    [property: JsonPropertyName("start_seconds")] double StartSeconds,
    [property: JsonPropertyName("end_seconds")] double EndSeconds,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("score")] float Score)
{
    [JsonPropertyName("recognised")] public bool Recognised { get; init; } = true;

    /// <summary>The score <see cref="Recognised"/> was decided on (see <see cref="Classification.RecognitionScoreType"/>);
    /// the event's <see cref="Score"/> from a service that does not send one.</summary>
    [JsonPropertyName("recognition_score")] public float RecognitionScore { get => _recognitionScore ?? Score; init => _recognitionScore = value; }

    private readonly float? _recognitionScore;
}

/// <summary>A label's presence over the clip: seconds it wins and its highest window probability.</summary>
public sealed record LabelPresence(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("max_score")] float MaxScore);

/// <summary>Name and version of the model that answered.</summary>
public sealed record ModelIdentity([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("version")] string Version);

/// <summary>The service's answer for one clip (Label is null and Silent true when the clip is silent).</summary>
public sealed record Classification(
    [property: JsonPropertyName("label")] string? Label,
    [property: JsonPropertyName("score")] float Score,
    [property: JsonPropertyName("top_k")] IReadOnlyList<LabelScore> TopK,
    [property: JsonPropertyName("duration_seconds")] double DurationSeconds,
    [property: JsonPropertyName("model")] ModelIdentity Model,
    [property: JsonPropertyName("execution_provider")] string ExecutionProvider,
    [property: JsonPropertyName("windows")] IReadOnlyList<WindowScore>? Windows)
{
    [JsonPropertyName("silent")] public bool Silent { get; init; }

    /// <summary>A sound the model knows (its <see cref="RecognitionScore"/> reaches <see cref="Threshold"/>).</summary>
    [JsonPropertyName("recognised")] public bool Recognised { get; init; } = true;

    /// <summary>The score <see cref="Recognised"/> was decided on (0 when silent); from a service older than 1.2, which
    /// sends none and has no threshold, the best probability (<see cref="Score"/>), which is what max_probability is.</summary>
    [JsonPropertyName("recognition_score")] public double RecognitionScore { get => _recognitionScore ?? Score; init => _recognitionScore = value; }

    private readonly double? _recognitionScore;

    /// <summary>max_probability (the best calibrated probability) or training_similarity (cosine similarity to the
    /// nearest training clip).</summary>
    [JsonPropertyName("recognition_score_type")] public string RecognitionScoreType { get; init; } = "max_probability";

    [JsonPropertyName("threshold")] public double? Threshold { get; init; }

    [JsonPropertyName("events")] public IReadOnlyList<SoundEvent> Events { get; init; } = [];

    [JsonPropertyName("summary")] public IReadOnlyList<LabelPresence> Summary { get; init; } = [];
}

/// <summary>The service's readiness.</summary>
public sealed record ServiceHealth(bool Ready, string? Model, string? Version, string? ExecutionProvider, string? Reason);

/// <summary>An RFC 7807 problem returned by the service.</summary>
public sealed record ProblemDetails(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("detail")] string? Detail);
