using AudioClassifier.Calibration;

namespace AudioClassifier.Cli.Tests;

/// <summary>The label <c>calibrate --scores</c> writes beside a clip is the one the service's answer names: the best of
/// the mean of its windows' calibrated probabilities, which a sharp temperature can make another label than the best of
/// their uncalibrated mean.</summary>
public sealed class OpenSetFitterTests
{
    [Fact]
    public void PredictedIsTheBestOfTheCalibratedMeanOverWindows()
    {
        float[] first = [0.6f, 0.4f, 0f], second = [0f, 0.45f, 0.55f];
        float[] mean = [0.3f, 0.425f, 0.275f];   // uncalibrated: label 1
        var clip = new OpenSetFitter.Scored("two-windows.wav", mean, Label: 0, Windows: [first, second]);

        Assert.Equal(1, OpenSetFitter.Predicted(clip, temperature: 1));
        Assert.Equal(0, OpenSetFitter.Predicted(clip, temperature: 0.2));   // sharpened: 0.88 + 0 against 0.12 + 0.27
        Assert.Equal(1, OpenSetFitter.Predicted(clip with { Windows = null }, temperature: 0.2));   // one window: its own best
    }
}
