namespace AudioClassifier.Audio.Decoding;

/// <summary>What went wrong while decoding, so callers (HTTP, CLI, trainer) can map it without parsing messages.</summary>
public enum AudioErrorKind
{
    /// <summary>The bytes are not a format this library decodes (or a sub-encoding it does not support).</summary>
    UnsupportedFormat,
    /// <summary>The bytes claim a supported format but are inconsistent, damaged or cut short.</summary>
    Corrupt,
    /// <summary>The input decodes to no samples at all.</summary>
    Empty,
    /// <summary>The input is longer than the configured maximum duration or size.</summary>
    TooLong,
    /// <summary>The input has more channels than the configured maximum.</summary>
    TooManyChannels,
    /// <summary>The input is shorter than the configured minimum duration.</summary>
    TooShort,
}

/// <summary>Base of every decoding failure; carries a machine-readable <see cref="Kind"/> and a precise message.</summary>
public abstract class AudioDecodeException : Exception
{
    protected AudioDecodeException(AudioErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    /// <summary>The category of the failure.</summary>
    public AudioErrorKind Kind { get; }
}

/// <summary>Thrown when the input is not WAV, MP3 or Ogg Vorbis, or uses an unsupported encoding inside one of them.</summary>
public sealed class UnsupportedAudioFormatException(string message, Exception? inner = null)
    : AudioDecodeException(AudioErrorKind.UnsupportedFormat, message, inner);

/// <summary>Thrown when a supported container is damaged, inconsistent or truncated.</summary>
public sealed class CorruptAudioException(string message, Exception? inner = null)
    : AudioDecodeException(AudioErrorKind.Corrupt, message, inner);

/// <summary>Thrown when the input holds no audio samples.</summary>
public sealed class EmptyAudioException(string message)
    : AudioDecodeException(AudioErrorKind.Empty, message);

/// <summary>Thrown when the input exceeds the configured maximum duration or byte size.</summary>
public sealed class AudioTooLongException(string message, bool exceedsDuration = false)
    : AudioDecodeException(AudioErrorKind.TooLong, message)
{
    /// <summary>True when the audio is longer than the maximum duration; false when the input has too many bytes.</summary>
    public bool ExceedsDuration { get; } = exceedsDuration;

    /// <summary>The failure of audio <paramref name="seconds"/> long against a maximum of <paramref name="maximum"/>.</summary>
    public static AudioTooLongException Duration(double seconds, TimeSpan maximum) =>
        new($"Audio is {seconds:0.###} s long; the maximum is {maximum.TotalSeconds:0.###} s.", exceedsDuration: true);
}

/// <summary>Thrown when the input has more channels than allowed.</summary>
public sealed class TooManyChannelsException(string message)
    : AudioDecodeException(AudioErrorKind.TooManyChannels, message);

/// <summary>Thrown when the input is shorter than the configured minimum duration.</summary>
public sealed class AudioTooShortException(string message)
    : AudioDecodeException(AudioErrorKind.TooShort, message);
