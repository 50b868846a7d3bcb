using AudioClassifier.Audio.Features;
using AudioClassifier.Audio.IO;
using Xunit.Abstractions;

namespace AudioClassifier.Audio.Tests;

/// <summary>The front end must reproduce torchaudio's log-mel for every reference input under both presets.</summary>
public class ReferenceParityTests(ITestOutputHelper output)
{
    /// <summary>The reference README's "wide" settings.</summary>
    public static readonly FeatureSpec Wide = new()
    {
        SampleRate = 16000, NFft = 1024, WinLength = 1024, HopLength = 320, NMels = 128,
        FMin = 50, FMax = 8000, TopDb = 80, Frames = 250, WindowSeconds = 5, WindowHopSeconds = 2.5,
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var preset in new[] { "seed", "wide" })
        {
            foreach (var wav in Directory.GetFiles(SharedData.Path("reference", "inputs"), "*.wav").Order())
                data.Add(preset, System.IO.Path.GetFileNameWithoutExtension(wav));
        }
        return data;
    }

    [Fact]
    public void EveryReferenceInputHasAnExpectedMatrixForBothPresets()
    {
        var inputs = Directory.GetFiles(SharedData.Path("reference", "inputs"), "*.wav");
        Assert.True(inputs.Length >= 7);
        foreach (var preset in new[] { "seed", "wide" })
        {
            foreach (var input in inputs)
                Assert.True(File.Exists(SharedData.Path("reference", preset, System.IO.Path.GetFileNameWithoutExtension(input) + ".npy")));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogMelMatchesReference(string preset, string name)
    {
        var spec = preset == "seed" ? FeatureSpec.Seed : Wide;
        var (expected, shape) = NpyFile.Read(SharedData.Path("reference", preset, name + ".npy"));
        Assert.Equal(new[] { spec.NMels, spec.Frames }, shape);

        var frontEnd = new AudioFrontEnd(spec);
        var clip = frontEnd.DecodeFile(SharedData.Path("reference", "inputs", name + ".wav"));
        var samples = frontEnd.ToModelRate(clip);
        var actual = frontEnd.Features(samples);
        int natural = Math.Min(LogMelExtractor.For(spec).NaturalFrames(samples.Length), spec.Frames);

        float max = expected.Max();
        double sum = 0, worst = 0;
        int compared = 0;
        for (int m = 0; m < spec.NMels; m++)
        {
            for (int t = 0; t < spec.Frames; t++)
            {
                float e = expected[m * spec.Frames + t], a = actual[m, t];
                if (t >= natural)
                {
                    Assert.Equal(0f, e);
                    Assert.Equal(e, a); // padding frames must match exactly
                    continue;
                }
                if (e < max - 80)
                    continue;
                double d = Math.Abs(e - a);
                sum += d;
                worst = Math.Max(worst, d);
                compared++;
            }
        }
        double mean = sum / compared;
        output.WriteLine($"{preset}/{name}: {compared} bins compared, mean |diff| {mean:E3} dB, max {worst:E3} dB, natural frames {natural}");
        Assert.True(compared > spec.NMels * Math.Min(natural, 10), "too few bins compared");
        Assert.True(mean < 0.01, $"mean abs difference {mean} dB");
        Assert.True(worst < 0.1, $"max abs difference {worst} dB");
    }
}
