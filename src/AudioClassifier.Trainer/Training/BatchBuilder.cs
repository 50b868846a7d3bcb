using System.Buffers;
using AudioClassifier.Audio.Dsp;
using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Data;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// Turns cached full-length features into fixed-size model inputs: deterministic (crop at 0 / pad as the spec says,
/// exactly the service's features) for evaluation, or augmented for training (random crop or shift, random level,
/// random spectral colouring, another training clip mixed in as background, random time stretch, random pitch shift on the mel axis,
/// SpecAugment frequency and time masks filled with the dataset mean, which standardises to 0).
/// </summary>
/// <param name="levelOffsetDb">Added to every clip value in deterministic writes: the clip played that much louder
/// (negative: quieter), for measuring level robustness.</param>
public sealed class BatchBuilder(FeatureSpec spec, AugmentConfig augment, float fillValue, float levelOffsetDb = 0)
{
    /// <summary>The level shift of deterministic writes (dB).</summary>
    public float LevelOffsetDb => levelOffsetDb;

    public int NMels { get; } = spec.NMels;

    public int Frames { get; } = spec.Frames;

    public int Size => NMels * Frames;

    /// <summary>Writes clip <paramref name="clip"/> into <paramref name="destination"/> ([n_mels, frames]); in training
    /// (<paramref name="rng"/> given) with <paramref name="background"/>, when given, mixed under the clip.</summary>
    public void Write(ClipFeatures clip, Span<float> destination, Random? rng, ClipFeatures? background = null)
    {
        int offset = 0, shift = 0, roll = 0;
        if (rng is not null && augment.TimeShift)
        {
            if (clip.Frames > Frames)
                offset = rng.Next(clip.Frames - Frames + 1);
            else if (clip.Frames < Frames)
                shift = rng.Next(Frames - clip.Frames + 1);
        }
        if (rng is not null && augment.TimeRoll && clip.Frames >= Frames)
            roll = rng.Next(Frames);
        int count = Math.Min(Frames - shift, clip.Frames - offset);
        float level = rng is null ? levelOffsetDb : augment.GainDb > 0 ? (float)((rng.NextDouble() * 2 - 1) * augment.GainDb) : 0f;
        var colouring = rng is not null && augment.EqDb > 0 ? RandomColouring(rng) : null;
        // The front end floors a clip at its loudest value minus top_db; colouring moves the loudest band, so the floor is
        // re-applied at the coloured clip's own maximum, or a coloured window could span more than top_db dB.
        float floor = colouring is not null && spec.TopDb is { } topDb ? level + ColouredMax(clip, colouring) - (float)topDb : float.NegativeInfinity;
        int backgroundOffset = 0;
        float backgroundLevel = 0;
        if (rng is not null && background is not null)
        {
            backgroundOffset = rng.Next(background.Frames);
            // The background's loudest band that many dB below the clip's (features are absolute dB, so a shift is a gain).
            double snr = augment.BackgroundMinSnrDb + rng.NextDouble() * (augment.BackgroundMaxSnrDb - augment.BackgroundMinSnrDb);
            backgroundLevel = level + (float)(System.Numerics.Tensors.TensorPrimitives.Max(clip.Data) - System.Numerics.Tensors.TensorPrimitives.Max(background.Data) - snr);
        }
        for (int m = 0; m < NMels; m++)
        {
            var row = destination.Slice(m * Frames + shift, count);
            var source = clip.Data.AsSpan(m * clip.Frames + offset, count);
            // Rolled: frame f of the window comes from frame (f - roll) mod Frames of the crop.
            source[(count - roll)..].CopyTo(row);
            source[..(count - roll)].CopyTo(row[roll..]);
            float rowLevel = level + (colouring?[m] ?? 0f);
            if (rowLevel != 0)
                System.Numerics.Tensors.TensorPrimitives.Add(row, rowLevel, row);
            if (colouring is not null)
                System.Numerics.Tensors.TensorPrimitives.Max(row, floor, row);
            if (rng is not null && background is not null)
                MixUnder(row, background.Data.AsSpan(m * background.Frames, background.Frames), backgroundOffset, backgroundLevel + (colouring?[m] ?? 0f));
        }
        if (rng is not null && augment.TimeStretch > 0)
            count = StretchTime(destination, shift, count, Math.Exp((rng.NextDouble() * 2 - 1) * Math.Log(1 + augment.TimeStretch)));
        // The rest of the window as the service's front end fills it (FeatureSpec.Padding), around a shifted clip too.
        spec.Padding.Fill(destination, NMels, Frames, shift, count);
        if (rng is null)
            return;
        if (augment.PitchShiftSemitones > 0)
            ShiftPitch(destination, Math.Pow(2, (rng.NextDouble() * 2 - 1) * augment.PitchShiftSemitones / 12));
        for (int i = 0; i < augment.FreqMasks; i++)
        {
            int width = rng.Next(augment.FreqMaskWidth + 1), start = rng.Next(Math.Max(1, NMels - width));
            for (int m = start; m < Math.Min(NMels, start + width); m++)
                destination.Slice(m * Frames, Frames).Fill(fillValue);
        }
        for (int i = 0; i < augment.TimeMasks; i++)
        {
            int width = rng.Next(augment.TimeMaskWidth + 1), start = rng.Next(Math.Max(1, Frames - width));
            for (int m = 0; m < NMels; m++)
                destination.Slice(m * Frames + start, Math.Min(width, Frames - start)).Fill(fillValue);
        }
    }

    /// <summary>
    /// A smooth random gain per mel band, as a microphone, a room or a codec colours a recording: three cosines across
    /// the mel axis with random weights, scaled so that the largest gain is a random fraction of ± eq_db. The level
    /// augmentation covers the constant part.
    /// </summary>
    internal float[] RandomColouring(Random rng)
    {
        var weights = new[] { rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1 };
        var curve = new float[NMels];
        for (int m = 0; m < NMels; m++)
        {
            double x = Math.PI * (m + 0.5) / NMels;
            curve[m] = (float)(weights[0] * Math.Cos(x) + weights[1] * Math.Cos(2 * x) + weights[2] * Math.Cos(3 * x));
        }
        float peak = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(curve);
        if (peak > 0)
            System.Numerics.Tensors.TensorPrimitives.Multiply(curve, (float)(augment.EqDb * rng.NextDouble() / peak), curve);
        return curve;
    }

    /// <summary>The loudest value of the whole clip (not only the window's frames, as the front end floors the whole
    /// clip) after <paramref name="colouring"/>.</summary>
    private static float ColouredMax(ClipFeatures clip, float[] colouring)
    {
        float max = float.NegativeInfinity;
        for (int m = 0; m < colouring.Length; m++)
            max = Math.Max(max, System.Numerics.Tensors.TensorPrimitives.Max(clip.Data.AsSpan(m * clip.Frames, clip.Frames)) + colouring[m]);
        return max;
    }

    /// <summary>
    /// Adds a background's band (frames from <paramref name="offset"/> on, wrapping round, <paramref name="gainDb"/>
    /// louder) to <paramref name="row"/> in power: the log-mel of the sum of two uncorrelated sounds is
    /// 10·log10(10^(a/10) + 10^(b/10)) band by band, so mixing the features is mixing the waveforms up to their
    /// cross terms.
    /// </summary>
    internal static void MixUnder(Span<float> row, ReadOnlySpan<float> background, int offset, float gainDb)
    {
        const float ToNatural = 0.23025851f; // ln(10) / 10
        for (int f = 0; f < row.Length; f++)
        {
            float a = row[f], b = background[(offset + f) % background.Length] + gainDb;
            float high = Math.Max(a, b), low = Math.Min(a, b);
            row[f] = high + 10f / MathF.Log(10f) * MathF.Log(1f + MathF.Exp((low - high) * ToNatural));
        }
    }

    /// <summary>
    /// Plays the clip's frames [<paramref name="start"/>, start + <paramref name="count"/>) <paramref name="factor"/>
    /// times as long (above 1 slower, below 1 faster): output frame f takes the (linearly interpolated) value at f / factor
    /// of the clip, kept within the window (a slowed clip loses its end; a shift was drawn on the unstretched length, and a
    /// crop of a longer clip is stretched as cropped, so a faster crop is padded too). Returns the stretched clip's frame
    /// count; the caller pads the rest as the front end pads a short clip. A time stretch of the spectrogram (the pitch
    /// kept; frames skipped when faster are not smoothed over, which an augmentation can afford).
    /// </summary>
    internal int StretchTime(Span<float> window, int start, int count, double factor)
    {
        int stretched = Math.Clamp((int)Math.Round(count * factor), 1, Frames - start);
        var clip = ArrayPool<float>.Shared.Rent(count);
        try
        {
            for (int m = 0; m < NMels; m++)
            {
                var row = window.Slice(m * Frames + start, Frames - start);
                row[..count].CopyTo(clip);
                for (int f = 0; f < stretched; f++)
                {
                    double position = Math.Min(f / factor, count - 1);
                    int below = (int)position, above = Math.Min(below + 1, count - 1);
                    float weight = (float)(position - below);
                    row[f] = clip[below] + weight * (clip[above] - clip[below]);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(clip);
        }
        return stretched;
    }

    /// <summary>
    /// Moves every band's content to <paramref name="ratio"/> times its frequency: output band m takes the (linearly
    /// interpolated) value at the mel position of centre(m) / ratio, clamped to the first and last band — a pitch shift
    /// of the spectrogram (band widths aside), done on the window so that it costs a few microseconds per clip.
    /// </summary>
    internal void ShiftPitch(Span<float> window, double ratio)
    {
        double lo = MelScale.HzToMel(spec.FMin), hi = MelScale.HzToMel(spec.FMax);
        var scratch = ArrayPool<float>.Shared.Rent(Size);
        try
        {
            window.CopyTo(scratch);
            for (int m = 0; m < NMels; m++)
            {
                double hz = MelScale.BandCenterHz(m, NMels, spec.FMin, spec.FMax) / ratio;
                double position = Math.Clamp((MelScale.HzToMel(hz) - lo) / (hi - lo) * (NMels + 1) - 1, 0, NMels - 1);
                int below = (int)position, above = Math.Min(below + 1, NMels - 1);
                float weight = (float)(position - below);
                var row = window.Slice(m * Frames, Frames);
                var a = scratch.AsSpan(below * Frames, Frames);
                var b = scratch.AsSpan(above * Frames, Frames);
                for (int f = 0; f < Frames; f++)
                    row[f] = a[f] + weight * (b[f] - a[f]);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
