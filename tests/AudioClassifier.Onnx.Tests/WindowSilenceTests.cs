using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Onnx.Tests;

/// <summary>The service's silence rule, which the trainer's figures also use: what counts as silent and where.</summary>
public sealed class WindowSilenceTests
{
    [Fact]
    public void PeaksAreMeasuredOverEachWindowsOwnSamples()
    {
        var samples = new float[300];
        samples[10] = 0.5f;       // window 0 only
        samples[150] = -0.001f;   // windows 0 and 1: -60 dBFS, negative
        var peaks = WindowSilence.PeakDb(samples, [new ClipWindow(0, 200), new ClipWindow(100, 200), new ClipWindow(200, 200), new ClipWindow(400, 200)]);
        Assert.Equal(20 * Math.Log10(0.5), peaks[0], 6);
        Assert.Equal(-60, peaks[1], 4);
        Assert.Equal(double.NegativeInfinity, peaks[2]);   // digital silence, and a window running past the end
        Assert.Equal(double.NegativeInfinity, peaks[3]);   // a window starting past the end holds no samples
    }

    [Theory]
    [InlineData(-59.99, -60, false)]
    [InlineData(-60.0, -60, false)]     // at the threshold: heard
    [InlineData(-60.01, -60, true)]
    [InlineData(-80.0, double.NegativeInfinity, false)]
    public void AWindowIsSilentBelowTheThreshold(double peakDb, double thresholdDb, bool silent) =>
        Assert.Equal(silent, WindowSilence.IsSilent(peakDb, thresholdDb));

    [Fact]
    public void DigitalSilenceIsSilentWhateverTheThreshold()
    {
        Assert.True(WindowSilence.IsSilent(double.NegativeInfinity, -60));
        Assert.True(WindowSilence.IsSilent(double.NegativeInfinity, double.NegativeInfinity));
        Assert.False(WindowSilence.IsSilent(double.NaN, -60));
    }
}
