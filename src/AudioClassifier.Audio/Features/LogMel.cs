namespace AudioClassifier.Audio.Features;

/// <summary>A log-mel matrix of shape [n_mels, frames], row-major (C order), exactly as the model consumes it.</summary>
public sealed record LogMel(float[] Data, int NMels, int Frames)
{
    /// <summary>Value of mel band <paramref name="mel"/> at frame <paramref name="frame"/>, in dB.</summary>
    public float this[int mel, int frame] => Data[mel * Frames + frame];
}
