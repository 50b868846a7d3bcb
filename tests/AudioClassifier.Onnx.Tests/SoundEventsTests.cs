using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Onnx.Tests;

/// <summary>Windows' winners become events that tile the clip: blips do not split them, silence ends them.</summary>
public sealed class SoundEventsTests
{
    private static readonly string[] Labels = ["dog", "rain", "siren"];

    // 5 s windows every 2.5 s over a clip of (windows + 1) × 2.5 s, each window's winner given (-1: silent).
    private static (IReadOnlyList<SoundEvent>, IReadOnlyList<LabelPresence>) Run(params int[] winners)
    {
        var probabilities = new float[winners.Length * 3];
        var spans = new List<(double, double)>();
        var silent = new bool[winners.Length];
        for (int w = 0; w < winners.Length; w++)
        {
            spans.Add((2.5 * w, 2.5 * w + 5));
            silent[w] = winners[w] < 0;
            for (int c = 0; c < 3; c++)
                probabilities[w * 3 + c] = winners[w] == c ? 0.8f : 0.1f;
        }
        return SoundEvents.Find(probabilities, spans, silent, Labels, 2.5 * (winners.Length + 1));
    }

    [Fact]
    public void ConsecutiveWinnersMergeAndBoundariesFallBetweenWindows()
    {
        var (events, summary) = Run(0, 0, 0, 2, 2, 2);
        Assert.Equal(2, events.Count);
        Assert.Equal(new SoundEvent(0, 8.75, "dog", 0.8f), events[0]);   // windows 0-2; boundary midway through the overlap of windows 2 and 3
        Assert.Equal(new SoundEvent(8.75, 17.5, "siren", 0.8f), events[1]);
        Assert.Equal(["dog", "siren", "rain"], summary.Select(s => s.Label));
        Assert.Equal(8.75, summary[0].Seconds, 6);
        Assert.Equal(0.1f, summary[2].MaxScore);
    }

    [Fact]
    public void OneDisagreeingWindowDoesNotSplitAnEvent()
    {
        var (events, _) = Run(1, 1, 0, 1, 1);
        Assert.Single(events);
        Assert.Equal("rain", events[0].Label);
        Assert.Equal((0.8f * 4 + 0.1f) / 5, events[0].Score, 5); // the blip window's own probability for rain counts
    }

    [Fact]
    public void TwoDisagreeingWindowsAreAnEvent()
    {
        var (events, _) = Run(1, 1, 0, 0, 1, 1);
        Assert.Equal(["rain", "dog", "rain"], events.Select(e => e.Label));
    }

    [Fact]
    public void SilenceEndsEventsAndIsLeftOut()
    {
        var (events, summary) = Run(0, 0, -1, -1, 0, 0);
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal("dog", e.Label));
        Assert.Equal(6.25, events[0].EndSeconds, 6);    // window 1 stands for 3.75-6.25 s; windows 2-3 (6.25-11.25 s) are silent
        Assert.Equal(11.25, events[1].StartSeconds, 6);
        Assert.Equal(6.25 + (17.5 - 11.25), summary[0].Seconds, 6);
    }
}
