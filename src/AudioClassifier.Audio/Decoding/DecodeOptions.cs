namespace AudioClassifier.Audio.Decoding;

/// <summary>Limits that bound the work and memory one decode may use, whatever the input's headers claim.</summary>
public sealed record DecodeOptions
{
    /// <summary>Longest accepted audio; longer inputs fail with <see cref="AudioTooLongException"/>.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Shortest accepted audio; shorter inputs fail with <see cref="AudioTooShortException"/> (0: any
    /// non-empty input).</summary>
    public TimeSpan MinDuration { get; init; } = TimeSpan.Zero;

    /// <summary>Most channels accepted; more fail with <see cref="TooManyChannelsException"/>.</summary>
    public int MaxChannels { get; init; } = 8;

    /// <summary>Largest encoded input accepted, in bytes.</summary>
    public long MaxInputBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Defaults suitable for files on disk.</summary>
    public static DecodeOptions Default { get; } = new();

    /// <summary>Throws when a limit is not positive, naming the field.</summary>
    public void Validate()
    {
        if (MaxDuration <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaxDuration), MaxDuration, "MaxDuration must be positive.");
        if (MinDuration < TimeSpan.Zero || MinDuration > MaxDuration)
            throw new ArgumentOutOfRangeException(nameof(MinDuration), MinDuration, "MinDuration must be between 0 and MaxDuration.");
        if (MaxChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxChannels), MaxChannels, "MaxChannels must be at least 1.");
        if (MaxInputBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxInputBytes), MaxInputBytes, "MaxInputBytes must be positive.");
    }
}
