using AudioClassifier.Audio;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Trainer.Training;

/// <summary>A clip as the service hears it: its length at the model rate and each of its service windows' peak (dBFS),
/// which the cached features do not keep.</summary>
public sealed record HeardClip(int Samples, double[] WindowPeakDb)
{
    /// <summary>Decodes the clip's file as the service would and measures its windows.</summary>
    public static HeardClip Of(string path, FeatureSpec spec)
    {
        var frontEnd = new AudioFrontEnd(spec);
        var samples = frontEnd.ToModelRate(frontEnd.DecodeFile(path));
        return new HeardClip(samples.Length, WindowSilence.PeakDb(samples, ClipWindows.For(samples.Length, spec)));
    }
}
