using System.Diagnostics;

namespace AudioClassifier.Audio.Decoding;

/// <summary>
/// Tells bad input from our own defects when a third-party decoder (NVorbis, NAudio, NLayer) throws. Decoders wrap
/// only the third-party calls in their try blocks (never our own code such as <see cref="MonoAccumulator"/>); inside
/// them, the decoders' exceptions for corrupt data become a 400, while one raised in our own callbacks (the NLayer
/// adapter that NAudio calls back) stays a defect: a logged, counted 500.
/// </summary>
internal static class DecoderFailures
{
    /// <summary>True when <paramref name="e"/>, thrown from a third-party decoder call, reports bad data.</summary>
    /// <param name="callbacks">Our types that the third-party code calls back into.</param>
    public static bool IsBadData(Exception e, params Type[] callbacks)
    {
        if (e is InvalidDataException or EndOfStreamException or FormatException)
            return true;
        if (e is not (ArgumentException or IndexOutOfRangeException or InvalidOperationException or NullReferenceException or OverflowException or NotSupportedException))
            return false;
        // The innermost frame outside the .NET libraries: ours (a callback) means a defect.
        foreach (var frame in new StackTrace(e, fNeedFileInfo: false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            if (type is null || type.Assembly == typeof(object).Assembly || type.Assembly.GetName().Name?.StartsWith("System.", StringComparison.Ordinal) == true)
                continue;
            while (type.DeclaringType is { } outer) // lambdas and iterators live in nested compiler-made types
                type = outer;
            return !callbacks.Contains(type);
        }
        return true;
    }

    /// <summary>What a caller is told of a decoder failure: the decoder's own account of the data (an invalid-data,
    /// end-of-stream or format error), never the runtime's words for a fault inside it ("Index was outside the bounds
    /// of the array." told a client nothing and showed how the decoder failed).</summary>
    public static string Describe(Exception e) =>
        e is InvalidDataException or EndOfStreamException or FormatException ? e.Message.TrimEnd().TrimEnd('.') : "the decoder could not read it";
}
