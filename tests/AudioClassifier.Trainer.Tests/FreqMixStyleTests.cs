using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary>Frequency MixStyle moves a clip's per-band level and spread towards another clip's and keeps its content.</summary>
public sealed class FreqMixStyleTests
{
    private const int Mels = 3, Frames = 50;

    [Fact]
    public void EachBandKeepsItsShapeAndTakesAMixOfTheTwoClipsStatistics()
    {
        // Clip 0: bands at -60, -40, -20 dB with a ±1 ramp; clip 1: bands at -10, -30, -50 dB with a ±5 sine.
        var buffer = new float[2 * Mels * Frames];
        for (int m = 0; m < Mels; m++)
            for (int f = 0; f < Frames; f++)
            {
                buffer[m * Frames + f] = -60 + 20 * m + (2f * f / (Frames - 1) - 1);
                buffer[(Mels + m) * Frames + f] = -10 - 20 * m + 5 * MathF.Sin(f * 0.7f);
            }
        var before = (float[])buffer.Clone();

        Assert.True(FreqMixStyle.Apply(buffer, 2, Mels, Frames, probability: 1, alpha: 0.3, new Random(5)));

        bool moved = false;
        for (int clip = 0; clip < 2; clip++)
            for (int m = 0; m < Mels; m++)
            {
                var original = before.AsSpan((clip * Mels + m) * Frames, Frames).ToArray();
                var mixed = buffer.AsSpan((clip * Mels + m) * Frames, Frames).ToArray();
                var other = before.AsSpan(((1 - clip) * Mels + m) * Frames, Frames).ToArray();
                // The band's pattern over time is kept (a positive affine map of it)...
                Assert.True(Correlation(original, mixed) > 0.9999, $"clip {clip} band {m}");
                // ...and its mean lies between the two clips' means for that band.
                double low = Math.Min(original.Average(), other.Average()), high = Math.Max(original.Average(), other.Average());
                Assert.InRange(mixed.Average(), low - 1e-3, high + 1e-3);
                moved |= Math.Abs(mixed.Average() - original.Average()) > 1;
            }
        Assert.True(moved, "no band took on any of the other clip's level");
    }

    [Fact]
    public void ABatchLeftUnmixedIsUnchanged()
    {
        var buffer = Enumerable.Range(0, 2 * Mels * Frames).Select(i => (float)Math.Sin(i)).ToArray();
        var before = (float[])buffer.Clone();
        Assert.False(FreqMixStyle.Apply(buffer, 2, Mels, Frames, probability: 0, alpha: 0.3, new Random(5)));
        Assert.False(FreqMixStyle.Apply(buffer, 1, Mels, Frames, probability: 1, alpha: 0.3, new Random(5)));
        Assert.Equal(before, buffer);
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.Sqrt(aa * bb);
    }
}
