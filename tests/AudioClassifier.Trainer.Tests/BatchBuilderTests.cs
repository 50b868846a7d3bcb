using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary>Training inputs are the service's features: the same crop and the same padding of short clips.</summary>
public sealed class BatchBuilderTests
{
    private static readonly float[] ShortTone = Enumerable.Range(0, 6615).Select(i => 0.3f * MathF.Sin(2 * MathF.PI * 440 * i / 22050f)).ToArray();

    [Theory]
    [InlineData(FramePadding.Zeros)]
    [InlineData(FramePadding.Floor)]
    [InlineData(FramePadding.Repeat)]
    public void DeterministicInputsEqualTheFrontEndsFeatures(FramePadding padding)
    {
        var spec = FeatureSpec.Default with { NMels = 16, Frames = 40, Padding = padding };
        var natural = LogMelExtractor.For(spec).ComputeNatural(ShortTone);
        var clip = new ClipFeatures(new DatasetItem("tone.wav", 0, null), natural.Data, natural.NMels, natural.Frames);
        var input = new float[spec.NMels * spec.Frames];
        new BatchBuilder(spec, AugmentConfig.None, 0f).Write(clip, input, null);
        Assert.Equal(LogMelExtractor.For(spec).Compute(ShortTone).Data, input);
    }

    [Fact]
    public void ALevelChangeMovesFloorAndRepeatPaddingWithTheClipButNotZeros()
    {
        var input = new float[16 * 40];
        foreach (var padding in new[] { FramePadding.Zeros, FramePadding.Floor, FramePadding.Repeat })
        {
            var spec = FeatureSpec.Default with { NMels = 16, Frames = 40, Padding = padding };
            var natural = LogMelExtractor.For(spec).ComputeNatural(ShortTone);
            var clip = new ClipFeatures(new DatasetItem("tone.wav", 0, null), natural.Data, natural.NMels, natural.Frames);
            var level = new float[input.Length];
            new BatchBuilder(spec, AugmentConfig.None, 0f).Write(clip, level, null);
            new BatchBuilder(spec, AugmentConfig.None, 0f, levelOffsetDb: -20).Write(clip, input, null);
            var quieter = LogMelExtractor.For(spec).Compute(ShortTone.Select(s => s * 0.1f).ToArray()).Data;
            // Playing the clip 20 dB quieter and shifting its features by -20 dB give the same input (to float rounding).
            Assert.All(input.Zip(quieter), p => Assert.Equal(p.Second, p.First, 0.01f));
            // The padded columns (13..39 of each row): zeros stay at 0 dB; floor and repeat follow the clip down 20 dB.
            Assert.Equal(padding == FramePadding.Zeros ? 0f : level[39] - 20, input[39], 0.01f);
        }
    }

    [Fact]
    public void TimeRollRotatesAClipThatFillsTheWindowAndKeepsEveryFrame()
    {
        var spec = FeatureSpec.Default with { NMels = 8, Frames = 30 };
        var data = Enumerable.Range(0, spec.NMels * spec.Frames).Select(i => (float)i).ToArray();
        var clip = new ClipFeatures(new DatasetItem("full.wav", 0, null), data, spec.NMels, spec.Frames);
        var builder = new BatchBuilder(spec, AugmentConfig.None with { TimeRoll = true }, 0f);
        var rolls = new HashSet<int>();
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var input = new float[data.Length];
            builder.Write(clip, input, rng);
            // Every row is the same rotation of the clip's row: frame f holds frame (f - roll) mod frames.
            int roll = ((int)input[0] - 0 + spec.Frames) % spec.Frames == 0 ? 0 : spec.Frames - (int)input[0];
            for (int m = 0; m < spec.NMels; m++)
            {
                for (int f = 0; f < spec.Frames; f++)
                    Assert.Equal(data[m * spec.Frames + ((f - roll + spec.Frames) % spec.Frames)], input[m * spec.Frames + f]);
            }
            rolls.Add(roll);
        }
        Assert.True(rolls.Count > 5, $"only {rolls.Count} distinct rolls in 20 draws");
        // Evaluation inputs are never rolled.
        var plain = new float[data.Length];
        builder.Write(clip, plain, null);
        Assert.Equal(data, plain);
    }

    [Theory]
    [InlineData(1000, 3)]
    [InlineData(3000, -3)]
    [InlineData(500, 2)]
    public void PitchShiftMovesAToneToTheBandOfTheShiftedTone(double hz, double semitones)
    {
        var spec = FeatureSpec.Default with { Frames = 40 };
        float[] Tone(double f) => Enumerable.Range(0, 22050).Select(i => 0.3f * MathF.Sin((float)(2 * Math.PI * f * i / 22050))).ToArray();
        int PeakBand(float[] window) => Enumerable.Range(0, spec.NMels).MaxBy(m => window[m * spec.Frames + 20]);
        var window = LogMelExtractor.For(spec).Compute(Tone(hz)).Data;
        var expected = PeakBand(LogMelExtractor.For(spec).Compute(Tone(hz * Math.Pow(2, semitones / 12))).Data);
        var builder = new BatchBuilder(spec, AugmentConfig.None, 0f);
        builder.ShiftPitch(window, Math.Pow(2, semitones / 12));
        Assert.InRange(PeakBand(window), expected - 1, expected + 1);
        Assert.NotInRange(PeakBand(LogMelExtractor.For(spec).Compute(Tone(hz)).Data), expected - 1, expected + 1);
    }

    [Fact]
    public void NoPitchShiftLeavesTheWindowAsItIsAndTrainingDrawsVaryTheShift()
    {
        var spec = FeatureSpec.Default with { NMels = 32, Frames = 20 };
        var data = Enumerable.Range(0, spec.NMels * spec.Frames).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        var window = (float[])data.Clone();
        new BatchBuilder(spec, AugmentConfig.None, 0f).ShiftPitch(window, 1.0);
        Assert.All(window.Zip(data), p => Assert.Equal(p.Second, p.First, 1e-4f));
        // Augmented writes of one clip differ from draw to draw; evaluation writes never shift.
        var clip = new ClipFeatures(new DatasetItem("x.wav", 0, null), data, spec.NMels, spec.Frames);
        var builder = new BatchBuilder(spec, AugmentConfig.None with { PitchShiftSemitones = 3 }, 0f);
        var rng = new Random(5);
        var draws = Enumerable.Range(0, 5).Select(_ => { var w = new float[data.Length]; builder.Write(clip, w, rng); return w; }).ToList();
        Assert.Equal(5, draws.Select(w => string.Join(',', w.Take(64))).Distinct().Count());
        var plain = new float[data.Length];
        builder.Write(clip, plain, null);
        Assert.Equal(data, plain);
    }

    [Theory]
    [InlineData(1.5, 15, 30, 60)]
    [InlineData(0.5, 5, 10, 30)]
    public void TimeStretchPlaysABurstLongerOrShorterAndReportsTheClipsNewLength(double factor, int burstStart, int burstEnd, int length)
    {
        var spec = FeatureSpec.Default with { NMels = 4, Frames = 60 };
        var window = new float[spec.NMels * spec.Frames];
        for (int m = 0; m < spec.NMels; m++)
            for (int f = 0; f < spec.Frames; f++)
                window[m * spec.Frames + f] = f is >= 10 and < 20 ? 10f : -50f;
        int count = new BatchBuilder(spec, AugmentConfig.None, 0f).StretchTime(window, 0, spec.Frames, factor);
        Assert.Equal(length, count);
        for (int m = 0; m < spec.NMels; m++)
        {
            var row = window.AsSpan(m * spec.Frames, count).ToArray();
            // The burst's frames (value 10) now begin and end factor times later; edges are interpolated.
            var loud = Enumerable.Range(0, count).Where(f => row[f] > 9.99f).ToArray();
            Assert.InRange(loud.First(), burstStart, burstStart + 1);
            Assert.InRange(loud.Last(), burstEnd - 2, burstEnd - 1);
        }
    }

    [Theory]
    [InlineData(5, 20, 2.0, 35)]   // slowed past the window's end: cut at the window
    [InlineData(5, 20, 1.25, 25)]
    [InlineData(5, 1, 0.5, 1)]     // one frame stays one frame
    public void TimeStretchOfAShiftedClipStaysBetweenItsStartAndTheWindowsEnd(int start, int count, double factor, int expected)
    {
        var spec = FeatureSpec.Default with { NMels = 3, Frames = 40 };
        var window = Enumerable.Repeat(-99f, spec.NMels * spec.Frames).ToArray();
        for (int m = 0; m < spec.NMels; m++)
            for (int f = start; f < start + count; f++)
                window[m * spec.Frames + f] = f - start;   // a ramp: frame i of the clip holds i
        int stretched = new BatchBuilder(spec, AugmentConfig.None, 0f).StretchTime(window, start, count, factor);
        Assert.Equal(expected, stretched);
        for (int m = 0; m < spec.NMels; m++)
        {
            // Before the clip untouched; in it, the ramp read at f / factor (kept within the clip); after it untouched.
            Assert.All(window.AsSpan(m * spec.Frames, start).ToArray(), v => Assert.Equal(-99f, v));
            for (int f = 0; f < stretched; f++)
                Assert.Equal((float)Math.Min(f / factor, count - 1), window[m * spec.Frames + start + f], 1e-4f);
            Assert.All(window.AsSpan(m * spec.Frames + start + Math.Max(stretched, count), spec.Frames - start - Math.Max(stretched, count)).ToArray(), v => Assert.Equal(-99f, v));
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ATimeStretchOutsideZeroToOneIsRefused(double stretch) =>
        Assert.Throws<ArgumentException>(() => (AugmentConfig.None with { TimeStretch = stretch }).Validate());

    [Fact]
    public void NoTimeStretchLeavesTheWindowAsItIsAndAFasterClipIsPaddedAsTheFrontEndPadsAShortOne()
    {
        var spec = FeatureSpec.Default with { NMels = 8, Frames = 30 };
        var data = Enumerable.Range(0, spec.NMels * spec.Frames).Select(i => -20f + (float)Math.Sin(i * 0.37)).ToArray();
        var builder = new BatchBuilder(spec, AugmentConfig.None, 0f);
        var window = (float[])data.Clone();
        Assert.Equal(spec.Frames, builder.StretchTime(window, 0, spec.Frames, 1.0));
        Assert.Equal(data, window);

        var clip = new ClipFeatures(new DatasetItem("x.wav", 0, null), data, spec.NMels, spec.Frames);
        var stretching = new BatchBuilder(spec, AugmentConfig.None with { TimeStretch = 0.5 }, 0f);
        var rng = new Random(3);
        var draws = Enumerable.Range(0, 6).Select(_ => { var w = new float[data.Length]; stretching.Write(clip, w, rng); return w; }).ToList();
        Assert.Equal(6, draws.Select(w => string.Join(',', w)).Distinct().Count());
        // A draw that played faster ends in the spec's padding (zeros: 0 dB), as a short clip does in the service.
        Assert.Contains(draws, w => Enumerable.Range(0, spec.NMels).All(m => w[m * spec.Frames + spec.Frames - 1] == 0f));
        // Evaluation writes never stretch.
        var plain = new float[data.Length];
        stretching.Write(clip, plain, null);
        Assert.Equal(data, plain);
    }

    [Fact]
    public void MixingFeaturesUnderAClipGivesTheFeaturesOfTheMixedWaveform()
    {
        var spec = FeatureSpec.Default with { Frames = 40 };
        var noiseRng = new Random(7);
        float[] tone = Enumerable.Range(0, 22050).Select(i => 0.3f * MathF.Sin(2 * MathF.PI * 1000 * i / 22050f)).ToArray();
        float[] noise = Enumerable.Range(0, 22050).Select(_ => (float)(noiseRng.NextDouble() - 0.5)).ToArray();
        var extractor = LogMelExtractor.For(spec);
        var a = extractor.ComputeNatural(tone);
        var b = extractor.ComputeNatural(noise);
        // Features are absolute dB (10·log10 of the band power), so the noise scaled by 0.25 is its features − 12.04 dB.
        const float scale = 0.25f;
        var mixed = extractor.ComputeNatural(tone.Zip(noise, (t, n) => t + scale * n).ToArray());
        var rows = (float[])a.Data.Clone();
        for (int m = 0; m < spec.NMels; m++)
            BatchBuilder.MixUnder(rows.AsSpan(m * a.Frames, a.Frames), b.Data.AsSpan(m * b.Frames, b.Frames), 0, 20 * MathF.Log10(scale));
        // Every band where the mixture is above the floor: within 0.3 dB on average (measured 0.1: the cross terms of tone and noise), while
        // the tone's features alone miss the noise by tens of dB away from 1 kHz.
        var audible = Enumerable.Range(0, rows.Length).Where(i => mixed.Data[i] > -60).ToArray();
        Assert.True(audible.Length > rows.Length / 2);
        Assert.InRange(audible.Average(i => Math.Abs(rows[i] - mixed.Data[i])), 0, 0.3);
        Assert.InRange(audible.Average(i => Math.Abs(a.Data[i] - mixed.Data[i])), 10, double.MaxValue);
    }

    [Fact]
    public void SpectralColouringIsASmoothCurveWithinTheLimitThatVariesFromClipToClip()
    {
        var spec = FeatureSpec.Default with { NMels = 64, Frames = 10 };
        var builder = new BatchBuilder(spec, AugmentConfig.None with { EqDb = 10 }, 0f);
        var rng = new Random(11);
        var curves = Enumerable.Range(0, 50).Select(_ => builder.RandomColouring(rng)).ToList();
        Assert.All(curves, c => Assert.InRange(c.Max(v => Math.Abs(v)), 0, 10f));
        // Smooth: neighbouring bands never differ by more than a fraction of the range (three cosines over 64 bands).
        Assert.All(curves, c => Assert.InRange(c.Zip(c.Skip(1), (x, y) => Math.Abs(x - y)).Max(), 0, 1.5f));
        Assert.True(curves.Max(c => c.Max(v => Math.Abs(v))) > 7f, "the limit is reached by some draws");
        Assert.Equal(50, curves.Select(c => c[0]).Distinct().Count());

        // A training write adds one curve to every frame of a band (the band's frames keep their differences), and
        // evaluation writes are never coloured.
        var data = Enumerable.Range(0, spec.NMels * spec.Frames).Select(i => (float)Math.Sin(i * 0.37) * 30 - 40).ToArray();
        var clip = new ClipFeatures(new DatasetItem("x.wav", 0, null), data, spec.NMels, spec.Frames);
        var coloured = new float[data.Length];
        builder.Write(clip, coloured, new Random(3));
        for (int m = 0; m < spec.NMels; m++)
        {
            float offset = coloured[m * spec.Frames] - data[m * spec.Frames];
            for (int f = 0; f < spec.Frames; f++)
                Assert.Equal(offset, coloured[m * spec.Frames + f] - data[m * spec.Frames + f], 1e-3f);
        }
        Assert.NotEqual(data, coloured);
        var plain = new float[data.Length];
        builder.Write(clip, plain, null);
        Assert.Equal(data, plain);
    }

    [Fact]
    public void AColouredClipIsFlooredAtItsOwnLoudestValueMinusTopDbAsTheFrontEndWouldFloorIt()
    {
        // A 440 Hz tone: most bands sit on the front end's floor, 80 dB below its loudest band.
        var spec = FeatureSpec.Default with { NMels = 32, Frames = 40 };
        var natural = LogMelExtractor.For(spec).ComputeNatural(ShortTone);
        Assert.Equal(80f, natural.Data.Max() - natural.Data.Min(), 0.01f);
        var clip = new ClipFeatures(new DatasetItem("tone.wav", 0, null), natural.Data, natural.NMels, natural.Frames);
        var augment = AugmentConfig.None with { EqDb = 10, GainDb = 20 };
        // The same draws without a top_db in the spec: the colouring and level alone, nothing re-floored.
        var floored = new BatchBuilder(spec, augment, 0f);
        var unfloored = new BatchBuilder(spec with { TopDb = null }, augment, 0f);
        Random rngA = new(5), rngB = new(5);
        int wider = 0;
        for (int trial = 0; trial < 20; trial++)
        {
            var a = new float[spec.NMels * spec.Frames];
            var b = new float[a.Length];
            floored.Write(clip, a, rngA);
            unfloored.Write(clip, b, rngB);
            var clipFrames = Enumerable.Range(0, a.Length).Where(i => i % spec.Frames < natural.Frames).ToArray();
            float colouredMax = clipFrames.Max(i => b[i]);
            if (colouredMax - clipFrames.Min(i => b[i]) > 80.5f)
                wider++;
            // Each value is the coloured value or the coloured clip's own floor, whichever is higher: what the front end
            // gives a recording coloured that way (up to the values it had floored before colouring).
            Assert.All(clipFrames, i => Assert.Equal(Math.Max(b[i], colouredMax - 80f), a[i], 1e-3f));
            Assert.InRange(clipFrames.Max(i => a[i]) - clipFrames.Min(i => a[i]), 0f, 80.01f);
        }
        Assert.True(wider >= 5, $"colouring alone spread the clip over more than 80 dB in {wider} of 20 draws");
    }

    [Fact]
    public void ABackgroundIsMixedUnderTheClipOnlyAndNeverIntoThePaddingOrEvaluation()
    {
        var spec = FeatureSpec.Default with { NMels = 16, Frames = 40 };
        var natural = LogMelExtractor.For(spec).ComputeNatural(ShortTone);
        var clip = new ClipFeatures(new DatasetItem("tone.wav", 0, null), natural.Data, natural.NMels, natural.Frames);
        var loud = new ClipFeatures(new DatasetItem("loud.wav", 1, null), Enumerable.Repeat(30f, 16 * 50).ToArray(), 16, 50);
        var builder = new BatchBuilder(spec, AugmentConfig.None with { BackgroundMinSnrDb = 10, BackgroundMaxSnrDb = 10 }, 0f);
        var alone = new float[16 * 40];
        var mixed = new float[16 * 40];
        builder.Write(clip, alone, null);
        builder.Write(clip, mixed, new Random(1), loud);
        for (int m = 0; m < 16; m++)
            for (int f = 0; f < 40; f++)
            {
                int i = m * 40 + f;
                if (f < natural.Frames) // the clip's frames: its power plus the flat background, 10 dB below the clip's peak
                    Assert.Equal(10 * MathF.Log10(MathF.Pow(10, alone[i] / 10) + MathF.Pow(10, (natural.Data.Max() - 10) / 10)), mixed[i], 1e-3f);
                else // zeros padding stays what the service fills in
                    Assert.Equal(alone[i], mixed[i]);
            }
        var evaluation = new float[16 * 40];
        builder.Write(clip, evaluation, null, loud);
        Assert.Equal(alone, evaluation);
    }
}
