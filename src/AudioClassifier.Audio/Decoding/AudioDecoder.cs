namespace AudioClassifier.Audio.Decoding;

/// <summary>
/// Entry point for decoding: reads at most <see cref="DecodeOptions.MaxInputBytes"/> from a stream or file, sniffs
/// the format from the bytes and returns a mono <see cref="AudioClip"/> or a typed <see cref="AudioDecodeException"/>.
/// </summary>
public static class AudioDecoder
{
    /// <summary>Decodes a file; the extension is ignored.</summary>
    public static AudioClip DecodeFile(string path, DecodeOptions? options = null)
    {
        using var stream = File.OpenRead(path);
        return Decode(stream, options);
    }

    /// <summary>Decodes the whole stream, reading no more than the configured byte limit; the token is checked
    /// between decoded chunks, so a long decode stops when its request's budget runs out.</summary>
    public static AudioClip Decode(Stream stream, DecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DecodeOptions.Default;
        options.Validate();
        var bytes = ReadBounded(stream, options.MaxInputBytes);
        return Decode(bytes, options, cancellationToken);
    }

    /// <summary>Decodes the whole stream, reading it asynchronously (e.g. an ASP.NET Core request body, where
    /// synchronous reads are not allowed) and no more than the configured byte limit.</summary>
    public static async Task<AudioClip> DecodeAsync(Stream stream, DecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DecodeOptions.Default;
        options.Validate();
        var bytes = await ReadBoundedAsync(stream, options.MaxInputBytes, cancellationToken).ConfigureAwait(false);
        return Decode(bytes, options, cancellationToken);
    }

    /// <summary>Decodes bytes already in memory; the token is checked between decoded chunks.</summary>
    public static AudioClip Decode(ArraySegment<byte> bytes, DecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= DecodeOptions.Default;
        options.Validate();
        if (bytes.Count > options.MaxInputBytes)
            throw new AudioTooLongException($"Input is {bytes.Count} bytes; the maximum is {options.MaxInputBytes}.");
        var span = bytes.AsSpan();
        var format = FormatSniffer.Detect(span[..Math.Min(span.Length, FormatSniffer.HeaderBytes)]);
        var clip = format switch
        {
            AudioFormat.Wav => WavDecoder.Decode(span, options),
            AudioFormat.Mp3 => Mp3Decoder.Decode(bytes.Array!, bytes.Offset, bytes.Count, options, cancellationToken),
            _ => VorbisDecoder.Decode(bytes.Array!, bytes.Offset, bytes.Count, options, cancellationToken),
        };
        if (clip.Duration < options.MinDuration)
            throw new AudioTooShortException($"Audio is {clip.Duration.TotalSeconds:0.####} s long; the minimum is {options.MinDuration.TotalSeconds:0.###} s.");
        CheckSampleValues(clip);
        return clip;
    }

    /// <summary>Largest sample magnitude accepted: 60 dB above full scale (±1). Float WAVs may exceed full scale a
    /// little; values beyond this are garbage, and squared in the power spectrum they overflow to infinity.</summary>
    public const float MaxSampleMagnitude = 1000f;

    // NaN, ±infinity or absurd magnitudes (IEEE-float WAVs can hold any bit pattern) would flow through the features
    // into the model and out as NaN probabilities; they are bad input, refused here for every format.
    private static void CheckSampleValues(AudioClip clip)
    {
        var samples = clip.Samples.AsSpan();
        int i = 0;
        var limit = new System.Numerics.Vector<float>(MaxSampleMagnitude);
        for (; i + System.Numerics.Vector<float>.Count <= samples.Length; i += System.Numerics.Vector<float>.Count)
        {
            // NaN fails every comparison, so "not (|x| <= limit)" catches NaN and both infinities as well.
            var v = System.Numerics.Vector.Abs(new System.Numerics.Vector<float>(samples[i..]));
            if (!System.Numerics.Vector.LessThanOrEqualAll(v, limit))
                break;
        }
        for (; i < samples.Length; i++)
        {
            float x = samples[i];
            if (!(Math.Abs(x) <= MaxSampleMagnitude))
                throw new CorruptAudioException(float.IsNaN(x) || float.IsInfinity(x)
                    ? $"The audio holds a non-finite sample value ({x.ToString(System.Globalization.CultureInfo.InvariantCulture)}) at {i / (double)clip.SampleRate:0.###} s."
                    : $"The audio holds a sample value of {x.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)} at {i / (double)clip.SampleRate:0.###} s; values must be within ±{MaxSampleMagnitude} (full scale is ±1).");
        }
    }

    /// <summary>As <see cref="ReadBounded"/>, with asynchronous reads.</summary>
    internal static async Task<ArraySegment<byte>> ReadBoundedAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        if (stream is MemoryStream)
            return ReadBounded(stream, maxBytes);
        var buffer = FirstBuffer(stream, maxBytes);
        int count = 0, read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false)) > 0)
            MakeRoom(ref buffer, count += read, maxBytes);
        return new ArraySegment<byte>(buffer, 0, count);
    }

    /// <summary>Reads a stream into memory in chunks, growing only as bytes actually arrive. A memory stream that
    /// exposes its buffer (e.g. an upload the service buffered) is used in place, not copied.</summary>
    internal static ArraySegment<byte> ReadBounded(Stream stream, long maxBytes)
    {
        if (stream is MemoryStream memory && memory.TryGetBuffer(out var buffered))
        {
            int position = (int)Math.Min(memory.Position, buffered.Count), available = buffered.Count - position;
            if (available > maxBytes)
                throw new AudioTooLongException($"Input is {available} bytes; the maximum is {maxBytes}.");
            memory.Position = buffered.Count;
            return buffered.Slice(position, available);
        }
        var buffer = FirstBuffer(stream, maxBytes);
        int count = 0, read;
        while ((read = stream.Read(buffer, count, buffer.Length - count)) > 0)
            MakeRoom(ref buffer, count += read, maxBytes);
        return new ArraySegment<byte>(buffer, 0, count);
    }

    // Sized from the stream's length when it has one (refused at once when that is over the limit), else 4 KiB.
    private static byte[] FirstBuffer(Stream stream, long maxBytes)
    {
        long hint = stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : 0;
        if (hint > maxBytes)
            throw new AudioTooLongException($"Input is {hint} bytes; the maximum is {maxBytes}.");
        return new byte[Math.Min(Math.Max(hint + 1, 4096), Math.Min(maxBytes + 1, Array.MaxLength))];
    }

    // After a read brought the total to count: refuse more than maxBytes, and double a full buffer (never past the
    // limit + 1, the byte that proves a stream too long).
    private static void MakeRoom(ref byte[] buffer, int count, long maxBytes)
    {
        if (count > maxBytes)
            throw new AudioTooLongException($"Input is larger than the maximum of {maxBytes} bytes.");
        if (count == buffer.Length)
            Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, Math.Min(maxBytes + 1, Array.MaxLength)));
    }
}
