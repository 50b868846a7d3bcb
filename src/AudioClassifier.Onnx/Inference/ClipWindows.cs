using AudioClassifier.Audio.Features;

namespace AudioClassifier.Onnx.Inference;

/// <summary>One window of a clip, in samples at the model's rate.</summary>
public readonly record struct ClipWindow(int Start, int Length);

/// <summary>
/// Cuts a clip into the windows the model scores: one window when the clip fits in window_seconds, otherwise windows
/// every window_hop_seconds, plus one aligned to the clip's end when more than half a hop would otherwise be left
/// unscored (so a 5.001 s clip with 2 s windows every 1 s gets 4 windows, not a fifth one shifted by 1 ms).
/// </summary>
public static class ClipWindows
{
    public static IReadOnlyList<ClipWindow> For(int samples, FeatureSpec spec)
    {
        int window = spec.WindowSamples, hop = spec.WindowHopSamples;
        if (samples <= window)
            return [new ClipWindow(0, samples)];
        int regular = (samples - window) / hop + 1;
        var windows = new List<ClipWindow>(regular + 1);
        for (int k = 0; k < regular; k++)
            windows.Add(new ClipWindow(k * hop, window));
        int tail = samples - ((regular - 1) * hop + window);
        if (tail * 2 > hop)
            windows.Add(new ClipWindow(samples - window, window));
        return windows;
    }
}
