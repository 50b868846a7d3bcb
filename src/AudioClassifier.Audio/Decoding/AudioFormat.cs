namespace AudioClassifier.Audio.Decoding;

/// <summary>The container formats the front end decodes; always detected from the bytes, never from names.</summary>
public enum AudioFormat
{
    Wav,
    Mp3,
    OggVorbis,
}
