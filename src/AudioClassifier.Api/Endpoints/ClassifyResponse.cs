using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Api.Endpoints;

/// <summary>The /classify answer (JSON in snake_case).</summary>
/// <param name="Label">Most likely label (null when the clip is silent).</param>
/// <param name="Score">Its probability (mean over the windows that hold sound; 0 when silent).</param>
/// <param name="TopK">The top_k labels with probabilities, best first.</param>
/// <param name="DurationSeconds">Length of the decoded clip.</param>
/// <param name="Model">Model that answered.</param>
/// <param name="ExecutionProvider">ONNX Runtime provider that ran it.</param>
/// <param name="Windows">Per-window timeline, when <c>windows=true</c>.</param>
/// <param name="Silent">Every window is below Classifier:SilenceThresholdDb: digital silence or near-silence, not classified.</param>
/// <param name="Recognised">The recognition score reaches the threshold: a sound the model knows (false for silence and
/// for sounds outside its labels; true for every sound when there is no threshold).</param>
/// <param name="RecognitionScore">The score Recognised was decided on (0 when silent).</param>
/// <param name="RecognitionScoreType">What that score is: max_probability (the best calibrated probability) or
/// training_similarity (cosine similarity of the sound's embedding to the nearest training clip's); for a clip of
/// several windows, the mean of its sounding windows' scores.</param>
/// <param name="Threshold">The threshold used: min_score, Classifier:MinScore or the model's calibrated one; null when none.</param>
/// <param name="Events">What sounds when: consecutive windows with the same best label merged into segments.</param>
/// <param name="Spectrogram">With spectrogram=true: the model input's picture (first window) as a data: URL.</param>
/// <param name="Summary">Per label, most present first: seconds it is the best label and its highest window probability.</param>
public sealed record ClassifyResponse(
    string? Label,
    float Score,
    IReadOnlyList<LabelScore> TopK,
    double DurationSeconds,
    ModelIdentity Model,
    string ExecutionProvider,
    IReadOnlyList<WindowResult>? Windows,
    bool Silent,
    bool Recognised,
    double RecognitionScore,
    string RecognitionScoreType,
    double? Threshold,
    IReadOnlyList<SoundEvent> Events,
    IReadOnlyList<LabelPresence> Summary,
    string? Spectrogram = null);

/// <summary>Name and version of a model.</summary>
public sealed record ModelIdentity(string Name, string Version);
