namespace AudioClassifier.Onnx.Inference;

/// <summary>A label and its probability.</summary>
public sealed record LabelScore(string Label, float Score);

/// <summary>The model's view of one window of the clip (no labels when the window is silent).</summary>
public sealed record WindowResult(double StartSeconds, double EndSeconds, IReadOnlyList<LabelScore> TopK)
{
    /// <summary>The window's peak is below Classifier:SilenceThresholdDb: not classified.</summary>
    public bool Silent { get; init; }
}

/// <summary>Windows scored as the model's own input: count × classes probabilities, and per window the recognition
/// score and whether it reaches the threshold (no silence test: the samples are not known).</summary>
public sealed record WindowScores(float[] Probabilities, float[] RecognitionScores, bool[] Recognised);

/// <summary>
/// The answer for one clip: top-k labels with probabilities (mean over the windows that hold sound), the clip
/// duration, the per-window timeline, the events and a per-label summary, and which model and execution provider
/// produced it.
/// </summary>
public sealed record ClassificationResult(
    IReadOnlyList<LabelScore> TopK,
    double DurationSeconds,
    IReadOnlyList<WindowResult> Timeline,
    string ModelName,
    string ModelVersion,
    string ExecutionProvider)
{
    /// <summary>The best label; null when the clip is silent (nothing was classified).</summary>
    public LabelScore? Top => TopK.Count > 0 ? TopK[0] : null;

    /// <summary>Every window is below Classifier:SilenceThresholdDb: digital silence or near-silence, not classified.</summary>
    public bool Silent { get; init; }

    /// <summary>The <see cref="RecognitionScore"/> reaches <see cref="Threshold"/>: a sound the model knows. False for
    /// silence and for sounds outside its labels; true for every sound when there is no threshold.</summary>
    public bool Recognised { get; init; }

    /// <summary>The score <see cref="Recognised"/> was decided on (0 for silence): the mean over sounding windows of
    /// each window's best probability, or for a model calibrated on training similarity of its similarity to the
    /// nearest training clip.</summary>
    public double RecognitionScore { get; init; }

    /// <summary>Which score <see cref="RecognitionScore"/> is (<c>max_probability</c> or <c>training_similarity</c>).</summary>
    public string RecognitionScoreName { get; init; } = "max_probability";

    /// <summary>The threshold <see cref="Recognised"/> was decided on (Classifier:MinScore or the model's calibrated
    /// one); null when the model is not calibrated and none is configured.</summary>
    public double? Threshold { get; init; }

    /// <summary>What sounds when: consecutive windows with the same winner merged (<see cref="SoundEvents"/>).</summary>
    public IReadOnlyList<SoundEvent> Events { get; init; } = [];

    /// <summary>Per label: seconds it wins and its highest window probability, most present first (meaningful for
    /// mixtures, where the mean over windows is not).</summary>
    public IReadOnlyList<LabelPresence> Summary { get; init; } = [];

    /// <summary>Every class's probability (mean over windows), in the order of the model's labels.</summary>
    public IReadOnlyList<float> Probabilities { get; init; } = [];

    /// <summary>Time spent resampling and computing log-mel features for this clip.</summary>
    public TimeSpan FeatureTime { get; init; }

    /// <summary>Time from queueing the clip's windows to having their probabilities (batch wait + model run).</summary>
    public TimeSpan InferenceTime { get; init; }

    internal static IReadOnlyList<LabelScore> Rank(IReadOnlyList<string> labels, ReadOnlySpan<float> probabilities, int k)
    {
        var indices = Enumerable.Range(0, labels.Count).ToArray();
        var copy = probabilities.ToArray();
        Array.Sort(indices, (a, b) => copy[b].CompareTo(copy[a]));
        return indices.Take(Math.Clamp(k, 1, labels.Count)).Select(i => new LabelScore(labels[i], copy[i])).ToList();
    }
}
