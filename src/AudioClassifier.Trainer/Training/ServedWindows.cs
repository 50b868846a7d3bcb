using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Trainer.Data;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// A clip's windows as the service scores them (<see cref="ClipWindows"/>: window_seconds every window_hop_seconds),
/// cut from its cached whole-clip features, so that the trainer's validation and test figures are what the exported
/// model answers for clips longer than one window (the service averages its windows that hold sound). To within a
/// frame: the service computes each window's features on its own, floored at the window's loudest value − top_db,
/// which each cut is floored at again here. Given the clip as heard (<see cref="HeardClip"/>), the windows and which of
/// them are silent are the service's exactly; without it, the windows are placed from the frame count and a cut that is
/// all floor (digital silence) counts as silent.
/// </summary>
public static class ServedWindows
{
    /// <summary>The service's default <see cref="AudioClassifierOptions.SilenceThresholdDb"/>: a window whose peak is
    /// below it is not classified.</summary>
    public static readonly double SilenceThresholdDb = new AudioClassifierOptions().SilenceThresholdDb;

    /// <summary>How many windows the service cuts the clip into (placed from the frame count).</summary>
    public static int Count(ClipFeatures clip, FeatureSpec spec) => Windows(clip, spec).Count;

    /// <summary>Whether the clip may be longer than one window: its frames bound its length from above (a clip of n
    /// samples has 1 + n / hop frames), so false means one window for certain, where <see cref="Count"/>'s placement
    /// can be half a frame short.</summary>
    public static bool MayHaveSeveralWindows(ClipFeatures clip, FeatureSpec spec) => (long)clip.Frames * spec.HopLength - 1 > spec.WindowSamples;

    /// <summary>The clip's windows (the clip itself when it fits in one) and which of them are silent: by the service's
    /// rule at the clip's level shifted by <paramref name="levelOffsetDb"/> when <paramref name="heard"/> is given.</summary>
    public static IReadOnlyList<(ClipFeatures Window, bool Silent)> Of(ClipFeatures clip, FeatureSpec spec, HeardClip? heard = null, double levelOffsetDb = 0)
    {
        var windows = heard is null ? Windows(clip, spec) : ClipWindows.For(heard.Samples, spec);
        if (heard is not null && (LogMelExtractor.For(spec).NaturalFrames(Math.Max(heard.Samples, spec.NFft / 2 + 1)) != clip.Frames || heard.WindowPeakDb.Length != windows.Count))
            throw new InvalidOperationException($"{clip.Item.Path}: the decoded clip ({heard.Samples} samples, {heard.WindowPeakDb.Length} windows) is not the one " +
                $"its cached features ({clip.Frames} frames) were computed from; delete the feature cache and train again.");
        if (windows.Count == 1)
            return [(clip, false)];
        var cuts = new List<(ClipFeatures, bool)>(windows.Count);
        for (int w = 0; w < windows.Count; w++)
        {
            int start = Math.Min((int)Math.Round(windows[w].Start / (double)spec.HopLength), clip.Frames - 1);
            int frames = Math.Min(spec.Frames, clip.Frames - start);
            var data = new float[clip.NMels * frames];
            for (int m = 0; m < clip.NMels; m++)
                clip.Data.AsSpan(m * clip.Frames + start, frames).CopyTo(data.AsSpan(m * frames, frames));
            float max = System.Numerics.Tensors.TensorPrimitives.Max<float>(data), min = System.Numerics.Tensors.TensorPrimitives.Min<float>(data);
            if (spec.TopDb is { } topDb)
                System.Numerics.Tensors.TensorPrimitives.Max(data, max - (float)topDb, data);
            bool silent = heard is null ? max - min < 1e-3f : WindowSilence.IsSilent(heard.WindowPeakDb[w] + levelOffsetDb, SilenceThresholdDb);
            cuts.Add((new ClipFeatures(clip.Item, data, clip.NMels, frames), silent));
        }
        return cuts;
    }

    // The clip's length in samples is not cached; its frames bound it ((frames - 1) × hop ≤ samples < frames × hop), and
    // the middle of that range puts a window aligned to the clip's end within half a frame of the service's.
    private static IReadOnlyList<ClipWindow> Windows(ClipFeatures clip, FeatureSpec spec) =>
        ClipWindows.For((clip.Frames - 1) * spec.HopLength + spec.HopLength / 2, spec);

    /// <summary>Per clip, the mean of its windows' probabilities over the windows that hold sound (all of them when none
    /// does), as the service's clip answer. <paramref name="heard"/> gives a clip as heard (null: placed from its
    /// frames); <paramref name="levelOffsetDb"/> is the level the clips are scored at.</summary>
    public static float[][] ClipProbabilities(IReadOnlyList<ClipFeatures> clips, FeatureSpec spec, Func<IReadOnlyList<ClipFeatures>, float[][]> predict,
        Func<ClipFeatures, HeardClip?>? heard = null, double levelOffsetDb = 0)
    {
        var all = clips.Select(c => Of(c, spec, MayHaveSeveralWindows(c, spec) ? heard?.Invoke(c) : null, levelOffsetDb)).ToList();
        var probabilities = predict(all.SelectMany(w => w.Select(x => x.Window)).ToList());
        var result = new float[clips.Count][];
        int at = 0;
        for (int i = 0; i < clips.Count; i++)
        {
            var windows = all[i];
            int heardWindows = windows.Count(w => !w.Silent);
            var mean = new float[probabilities[at].Length];
            for (int w = 0; w < windows.Count; w++, at++)
            {
                if (!windows[w].Silent || heardWindows == 0)
                    System.Numerics.Tensors.TensorPrimitives.Add(mean, probabilities[at], mean);
            }
            System.Numerics.Tensors.TensorPrimitives.Divide(mean, heardWindows == 0 ? windows.Count : heardWindows, mean);
            result[i] = mean;
        }
        return result;
    }
}
