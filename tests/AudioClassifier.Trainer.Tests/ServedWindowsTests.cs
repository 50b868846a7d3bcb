using AudioClassifier.Audio;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary>For clips longer than one window, the trainer scores the windows the service scores.</summary>
public sealed class ServedWindowsTests
{
    private static readonly FeatureSpec HalfWindows = FeatureSpec.Default with { Frames = 108, WindowSeconds = 2.5, WindowHopSeconds = 1.25 };

    [Fact]
    public void TheCutsOfTheCachedFeaturesAreTheServicesWindowFeatures()
    {
        var clip = new AudioFrontEnd(HalfWindows).DecodeFile(Directory.GetFiles(Path.Combine(TinyDatasets.Esc10, "008 - Chainsaw"), "1-*.ogg").Order().First());
        var samples = new AudioFrontEnd(HalfWindows).ToModelRate(clip);
        var extractor = LogMelExtractor.For(HalfWindows);
        var whole = extractor.ComputeNatural(samples);
        var cached = new ClipFeatures(new DatasetItem("chainsaw.ogg", 0, 1), whole.Data, whole.NMels, whole.Frames);

        var cuts = ServedWindows.Of(cached, HalfWindows);
        var served = ClipWindows.For(samples.Length, HalfWindows);

        Assert.Equal(served.Count, cuts.Count);
        Assert.Equal(3, cuts.Count);
        for (int w = 0; w < cuts.Count; w++)
        {
            var expected = extractor.Compute(samples.AsSpan(served[w].Start, served[w].Length));
            var (cut, silent) = cuts[w];
            Assert.False(silent);
            Assert.Equal(HalfWindows.Frames, cut.Frames);
            // Away from the window's edges (where the service's frames see the window's reflection, not the clip), the
            // same sound at the same level: a window starting between two of the clip's frames (1.25 s is 53.8 hops)
            // is cut at the nearest one, so values differ where the sound changes within a frame (this chainsaw: 0.3–0.7 dB
            // on average; a window one frame off: 1.3 dB).
            double sum = 0, worst = 0;
            int count = 0;
            for (int m = 0; m < cut.NMels; m++)
                for (int f = 4; f < cut.Frames - 4; f++, count++)
                {
                    double d = Math.Abs(cut.Data[m * cut.Frames + f] - expected.Data[m * expected.Frames + f]);
                    (sum, worst) = (sum + d, Math.Max(worst, d));
                }
            Assert.True(sum / count < 1.0, $"window {w}: mean |Δ| {sum / count:0.000} dB (max {worst:0.00})");
            if (served[w].Start % HalfWindows.HopLength == 0)
                Assert.True(worst < 0.01, $"window {w} (on a frame of the clip): max |Δ| {worst:0.0000} dB");
        }
    }

    [Fact]
    public void AClipAnswerIsTheMeanOfItsWindowsThatHoldSound()
    {
        // 5 s of frames in 2.5 s windows every 1.25 s (frames 0, 54 and 107 on): sound, digital silence (the floor) over
        // all of the second window, sound.
        int mels = 4, frames = 216;
        var data = new float[mels * frames];
        for (int m = 0; m < mels; m++)
            for (int f = 0; f < frames; f++)
                data[m * frames + f] = f is >= 54 and < 162 ? -80f : -20f + (f % 7);
        var clip = new ClipFeatures(new DatasetItem("x.wav", 0, null), data, mels, frames);
        var windows = ServedWindows.Of(clip, HalfWindows with { NMels = mels });
        Assert.Equal([false, true, false], windows.Select(w => w.Silent));
        Assert.Equal(1, ServedWindows.Count(clip with { Frames = 108, Data = data[..(mels * 108)] }, HalfWindows));

        var answers = new Queue<float[]>([[1f, 0f], [0f, 1f], [0.5f, 0.5f]]);
        var mean = ServedWindows.ClipProbabilities([clip], HalfWindows with { NMels = mels }, w => w.Select(_ => answers.Dequeue()).ToArray());
        Assert.Equal([0.75f, 0.25f], mean[0]);
    }

    [Fact]
    public void WindowsTheServiceHearsAsSilentAreLeftOutOfTheClipAnswerAtEveryLevelScored()
    {
        // 7.5 s at the model rate in 2.5 s windows every 1.25 s (windows at 0, 1.25, 2.5, 3.75 and 5 s): a tone at
        // -40 dBFS, then 2.45-5.05 s of noise peaking at -65 dBFS (near-silence, yet well above the clip's top_db floor,
        // so its features are not flat), then the tone again.
        int rate = HalfWindows.SampleRate, n = (int)(7.5 * rate);
        var rng = new Random(1);
        var pcm = new short[n];
        for (int i = 0; i < n; i++)
        {
            double t = i / (double)rate;
            pcm[i] = t is >= 2.45 and < 5.05
                ? (short)Math.Round((rng.NextDouble() * 2 - 1) * 32767 * Math.Pow(10, -65 / 20.0))
                : (short)Math.Round(0.01 * 32767 * Math.Sin(2 * Math.PI * 440 * t));
        }
        var path = Path.Combine(Path.GetTempPath(), $"served-windows-{Guid.NewGuid():N}.wav");
        File.WriteAllBytes(path, WavBuilder.Pcm16(pcm, rate, 1));
        try
        {
            var heard = HeardClip.Of(path, HalfWindows);
            Assert.Equal(n, heard.Samples);
            Assert.Equal(5, heard.WindowPeakDb.Length);
            Assert.InRange(heard.WindowPeakDb[2], -67, -65);   // 16-bit rounding keeps the peak within a step of -65 dBFS
            Assert.All(heard.WindowPeakDb.Where((_, w) => w != 2), peak => Assert.InRange(peak, -40.1, -39.9));

            var frontEnd = new AudioFrontEnd(HalfWindows);
            var whole = LogMelExtractor.For(HalfWindows).ComputeNatural(frontEnd.ToModelRate(frontEnd.DecodeFile(path)));
            var cached = new ClipFeatures(new DatasetItem(path, 0, 1), whole.Data, whole.NMels, whole.Frames);
            // Without the audio only digital silence can be told from the features: the near-silent window counts.
            Assert.Equal([false, false, false, false, false], ServedWindows.Of(cached, HalfWindows).Select(w => w.Silent));
            Assert.Equal([false, false, true, false, false], ServedWindows.Of(cached, HalfWindows, heard).Select(w => w.Silent));
            // Scored 20 dB quieter, a window at -45 dBFS falls under the service's -60 dBFS as it would in the service.
            var louder = heard with { WindowPeakDb = heard.WindowPeakDb.Select((p, w) => w == 2 ? p + 20 : p).ToArray() };
            Assert.False(ServedWindows.Of(cached, HalfWindows, louder)[2].Silent);
            Assert.True(ServedWindows.Of(cached, HalfWindows, louder, levelOffsetDb: -20)[2].Silent);

            // The clip answer is the mean of the four windows that hold sound.
            var answers = new Queue<float[]>([[1f, 0f], [1f, 0f], [0f, 1f], [1f, 0f], [0f, 1f]]);
            var mean = ServedWindows.ClipProbabilities([cached], HalfWindows, w => w.Select(_ => answers.Dequeue()).ToArray(), _ => heard);
            Assert.Equal([0.75f, 0.25f], mean[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AClipHalfAFrameLongerThanItsFramesSuggestIsScoredInTheServicesWindows()
    {
        // 69 000 samples in 2.5 s windows every 1.25 s: the service cuts two windows (the tail past the first is more
        // than half a hop), while placing them from the clip's 135 frames (68 864 samples) finds one. The frames bound
        // the length from above, so the clip is decoded and scored in the service's two windows.
        int mels = 4, frames = 135;
        var data = Enumerable.Range(0, mels * frames).Select(i => -20f + i % 7).ToArray();
        var clip = new ClipFeatures(new DatasetItem("x.wav", 0, null), data, mels, frames);
        var spec = HalfWindows with { NMels = mels };
        Assert.Equal(1, ServedWindows.Count(clip, spec));
        Assert.True(ServedWindows.MayHaveSeveralWindows(clip, spec));
        Assert.Equal(2, ClipWindows.For(69_000, spec).Count);

        int scored = 0;
        var mean = ServedWindows.ClipProbabilities([clip], spec, w => { scored += w.Count; return [[1f, 0f], [0f, 1f]]; }, _ => new HeardClip(69_000, [-20, -20]));
        Assert.Equal(2, scored);
        Assert.Equal([0.5f, 0.5f], mean[0]);

        // A clip whose frames cannot exceed one window is not decoded at all.
        var shortClip = clip with { Frames = 100, Data = data[..(mels * 100)] };
        Assert.False(ServedWindows.MayHaveSeveralWindows(shortClip, spec));
        ServedWindows.ClipProbabilities([shortClip], spec, w => [[1f, 0f]], _ => throw new InvalidOperationException("decoded a one-window clip"));
    }

    [Fact]
    public void ADecodedClipThatIsNotTheCachedOneIsRefused()
    {
        int mels = 4, frames = 135;
        var clip = new ClipFeatures(new DatasetItem("x.wav", 0, null), new float[mels * frames], mels, frames);
        var error = Assert.Throws<InvalidOperationException>(() => ServedWindows.Of(clip, HalfWindows with { NMels = mels }, new HeardClip(80_000, [-20, -20])));
        Assert.Contains("feature cache", error.Message);
    }
}
