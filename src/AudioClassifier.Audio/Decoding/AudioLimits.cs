namespace AudioClassifier.Audio.Decoding;

/// <summary>Hard limits that hold whatever the options say, protecting every decoder from absurd headers.</summary>
public static class AudioLimits
{
    /// <summary>Highest sample rate accepted from any container.</summary>
    public const int MaxSampleRate = 768_000;

    /// <summary>Lowest sample rate accepted from any container.</summary>
    public const int MinSampleRate = 1_000;
}
