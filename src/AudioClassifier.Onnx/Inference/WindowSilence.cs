namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// The service's rule for the windows nothing can be named in (digital silence or near-silence: a peak below
/// <see cref="AudioClassifierOptions.SilenceThresholdDb"/>), shared with the trainer so that its validation and test
/// figures leave out the windows the service leaves out.
/// </summary>
public static class WindowSilence
{
    /// <summary>Each window's peak magnitude in dBFS (−∞ for an empty or all-zero window; a window running past the
    /// clip's end is measured over the samples it holds).</summary>
    public static double[] PeakDb(ReadOnlySpan<float> samples, IReadOnlyList<ClipWindow> windows)
    {
        var peaks = new double[windows.Count];
        for (int w = 0; w < peaks.Length; w++)
        {
            var window = windows[w];
            var span = samples.Slice(window.Start, Math.Max(0, Math.Min(window.Length, samples.Length - window.Start)));
            peaks[w] = span.IsEmpty ? double.NegativeInfinity : 20 * Math.Log10(Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(span)));
        }
        return peaks;
    }

    /// <summary>Whether a window of this peak (dBFS, after any gain) is silent under the threshold (dBFS).</summary>
    public static bool IsSilent(double peakDb, double thresholdDb) => peakDb < thresholdDb;
}
