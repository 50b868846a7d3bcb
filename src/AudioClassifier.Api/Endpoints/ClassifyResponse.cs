using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Api.Endpoints;

/// <summary>The /classify answer (JSON in snake_case).</summary>
/// <param name="Label">Most likely label.</param>
/// <param name="Score">Its probability (mean over windows).</param>
/// <param name="TopK">The top_k labels with probabilities, best first.</param>
/// <param name="DurationSeconds">Length of the decoded clip.</param>
/// <param name="Model">Model that answered.</param>
/// <param name="ExecutionProvider">ONNX Runtime provider that ran it.</param>
/// <param name="Windows">Per-window timeline, when <c>windows=true</c>.</param>
public sealed record ClassifyResponse(
    string Label,
    float Score,
    IReadOnlyList<LabelScore> TopK,
    double DurationSeconds,
    ModelIdentity Model,
    string ExecutionProvider,
    IReadOnlyList<WindowResult>? Windows);

/// <summary>Name and version of a model.</summary>
public sealed record ModelIdentity(string Name, string Version);
