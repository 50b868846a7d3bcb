namespace AudioClassifier.Onnx.Inference;

/// <summary>A stretch of the clip where one label wins: from, to (seconds), the label and its mean probability there.</summary>
public sealed record SoundEvent(double StartSeconds, double EndSeconds, string Label, float Score)
{
    /// <summary>The score reaches the recognition threshold (true when there is none).</summary>
    public bool Recognised { get; init; } = true;

    /// <summary>The score the recognition threshold applies to: <see cref="Score"/>, or the event's mean training
    /// similarity when the model has one.</summary>
    public float RecognitionScore { get; init; } = Score;
}

/// <summary>A label's presence over the whole clip: seconds it wins (in events) and its highest window probability.</summary>
public sealed record LabelPresence(string Label, double Seconds, float MaxScore);

/// <summary>
/// Turns the per-window probabilities of a long clip into events — what sounds when — and a clip summary that holds
/// for mixtures (which labels occur, for how long, how strongly), where the mean over windows names one label for
/// the whole clip. Each window stands for the central part of its span (one hop long, the first and last reaching the
/// clip's ends), so events tile the clip without overlap and their boundaries are within half a hop of where the
/// winning label changes. Hysteresis: one window whose winner differs from the same label on both sides is noise and
/// does not split the event. Silent windows end events and are left out.
/// </summary>
public static class SoundEvents
{
    /// <param name="probabilities">windows × labels, row-major.</param>
    /// <param name="spans">Each window's start and end in seconds (windows step by a hop and may overlap).</param>
    /// <param name="silent">Windows too quiet to classify.</param>
    /// <param name="familiarity">Per window, the similarity to the nearest training clip (null when the model has none):
    /// an event's mean becomes its <see cref="SoundEvent.RecognitionScore"/>.</param>
    public static (IReadOnlyList<SoundEvent> Events, IReadOnlyList<LabelPresence> Summary) Find(
        ReadOnlySpan<float> probabilities, IReadOnlyList<(double Start, double End)> spans, IReadOnlyList<bool> silent, IReadOnlyList<string> labels, double clipSeconds,
        IReadOnlyList<float>? familiarity = null)
    {
        int windows = spans.Count, classes = labels.Count;
        var winner = new int[windows];
        for (int w = 0; w < windows; w++)
            winner[w] = silent[w] ? -1 : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.Slice(w * classes, classes));
        // A single window that disagrees with equal neighbours is a blip, not an event.
        for (int w = 1; w + 1 < windows; w++)
        {
            if (winner[w] >= 0 && winner[w - 1] >= 0 && winner[w - 1] == winner[w + 1] && winner[w] != winner[w - 1])
                winner[w] = winner[w - 1];
        }
        var events = new List<SoundEvent>();
        int first = 0;
        for (int w = 1; w <= windows; w++)
        {
            if (w < windows && winner[w] == winner[first])
                continue;
            if (winner[first] >= 0)
            {
                int label = winner[first];
                double sum = 0;
                for (int i = first; i < w; i++)
                    sum += probabilities[i * classes + label];
                var found = new SoundEvent(Owned(spans, first, clipSeconds).Start, Owned(spans, w - 1, clipSeconds).End, labels[label], (float)(sum / (w - first)));
                events.Add(familiarity is null ? found : found with { RecognitionScore = (float)MeanFamiliarity(Enumerable.Range(first, w - first).Select(i => familiarity[i])) });
            }
            first = w;
        }
        var summary = new List<LabelPresence>();
        for (int c = 0; c < classes; c++)
        {
            float max = 0;
            for (int w = 0; w < windows; w++)
            {
                if (!silent[w])
                    max = Math.Max(max, probabilities[w * classes + c]);
            }
            double seconds = events.Where(e => e.Label == labels[c]).Sum(e => e.EndSeconds - e.StartSeconds);
            summary.Add(new LabelPresence(labels[c], seconds, max));
        }
        return (events, summary.OrderByDescending(p => p.Seconds).ThenByDescending(p => p.MaxScore).ToList());
    }

    /// <summary>
    /// The familiarity of several windows: -1 (nearer to a known outlier) when at least half of them are, else the mean
    /// of the others. The -1 marks a window, it is not a similarity to average: one noisy window among ten familiar
    /// ones must not pull a clip below its threshold, nor ten noise windows hide behind one familiar one.
    /// </summary>
    public static double MeanFamiliarity(IEnumerable<float> windows)
    {
        int outliers = 0, familiar = 0;
        double sum = 0;
        foreach (float f in windows)
        {
            if (f <= OutlierFamiliarity)
                outliers++;
            else
            {
                familiar++;
                sum += f;
            }
        }
        return familiar == 0 || outliers >= familiar ? -1 : sum / familiar;
    }

    // The graph's familiarity for a window nearer to a known outlier (embeddings are post-ReLU, so a true cosine is ≥ 0).
    private const float OutlierFamiliarity = -0.999f;

    // The part of the clip window w stands for: between the midpoints of its overlaps with its neighbours.
    private static (double Start, double End) Owned(IReadOnlyList<(double Start, double End)> spans, int w, double clipSeconds)
    {
        double start = w == 0 ? 0 : (spans[w].Start + spans[w - 1].End) / 2;
        double end = w == spans.Count - 1 ? clipSeconds : (spans[w + 1].Start + spans[w].End) / 2;
        return (Math.Round(start, 3), Math.Round(Math.Min(end, clipSeconds), 3));
    }

}
