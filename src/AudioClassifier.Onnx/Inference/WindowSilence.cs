namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// The service's rule for the windows nothing can be named in (digital silence or near-silence: a peak below
/// <see cref="AudioClassifierOptions.SilenceThresholdDb"/>), shared with the trainer so that its validation and test
/// figures leave out the windows the service leaves out.
/// </summary>
public static class WindowSilence
{
    /// <summary>Each window's peak magnitude in dBFS (−∞ for an empty or all-zero window; a window running past the
    /// clip's end is measured over the samples it holds, one starting past it holds none).</summary>
    public static double[] PeakDb(ReadOnlySpan<float> samples, IReadOnlyList<ClipWindow> windows)
    {
        var peaks = new double[windows.Count];
        for (int w = 0; w < peaks.Length; w++)
        {
            int start = Math.Min(windows[w].Start, samples.Length);
            var span = samples.Slice(start, Math.Min(windows[w].Length, samples.Length - start));
            peaks[w] = span.IsEmpty ? double.NegativeInfinity : 20 * Math.Log10(Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(span)));
        }
        return peaks;
    }

    /// <summary>Whether a window of this peak (dBFS, after any gain) is silent under the threshold (dBFS). A window
    /// without a sample above zero (−∞) is silent whatever the threshold; a NaN peak is not (the decoder refuses such
    /// input before it gets here).</summary>
    public static bool IsSilent(double peakDb, double thresholdDb) => double.IsNegativeInfinity(peakDb) || peakDb < thresholdDb;
}
