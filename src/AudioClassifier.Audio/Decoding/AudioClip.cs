namespace AudioClassifier.Audio.Decoding;

/// <summary>Decoded audio mixed down to mono (channel mean) at its original sample rate.</summary>
/// <param name="Samples">Mono samples in [-1, 1).</param>
/// <param name="SampleRate">Samples per second of <paramref name="Samples"/>.</param>
/// <param name="SourceChannels">Channels in the encoded input before mixdown.</param>
/// <param name="Format">Container the clip was decoded from.</param>
public sealed record AudioClip(float[] Samples, int SampleRate, int SourceChannels, AudioFormat Format)
{
    /// <summary>Length of the clip.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRate);
}
