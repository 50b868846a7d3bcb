using System.Numerics.Tensors;
using System.Text.Json.Serialization;

namespace AudioClassifier.Audio.Features;

/// <summary>How a clip shorter than the model's window fills the rest of the log-mel matrix.</summary>
[JsonConverter(typeof(FramePaddingJsonConverter))]
public enum FramePadding
{
    /// <summary>0.0 dB, the seed tutorial's choice (and every model's before this setting): a mid-level constant band
    /// whose contrast with the clip changes with the clip's level.</summary>
    [JsonStringEnumMemberName("zeros")] Zeros,

    /// <summary>The clip's own floor (its lowest value in the window): reads as silence at the clip's level.</summary>
    [JsonStringEnumMemberName("floor")] Floor,

    /// <summary>The clip's frames again, cyclically, until the window is full.</summary>
    [JsonStringEnumMemberName("repeat")] Repeat,
}

/// <summary>Reads and writes <see cref="FramePadding"/> by name only ("zeros", "floor", "repeat"; never a number).</summary>
public sealed class FramePaddingJsonConverter() : JsonStringEnumConverter<FramePadding>(namingPolicy: null, allowIntegerValues: false);

/// <summary>Applies a <see cref="FramePadding"/>; the service's front end and the trainer's batches share it.</summary>
public static class FramePaddingExtensions
{
    /// <summary>The <c>fixed_length</c> semantics written into a model's feature spec for this padding.</summary>
    public static string FixedLengthSemantics(this FramePadding padding) => padding switch
    {
        FramePadding.Zeros => "crop_or_right_pad_zero",
        FramePadding.Floor => "crop_or_right_pad_floor",
        FramePadding.Repeat => "crop_or_repeat",
        _ => throw new ArgumentOutOfRangeException(nameof(padding), padding, null),
    };

    /// <summary>
    /// Fills every column of <paramref name="matrix"/> ([rows, frames], row-major) outside the clip's columns
    /// [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).
    /// </summary>
    public static void Fill(this FramePadding padding, Span<float> matrix, int rows, int frames, int start, int count)
    {
        if (count <= 0 || start < 0 || start + count > frames || matrix.Length != rows * frames)
            throw new ArgumentException($"The clip's columns [{start}, {start + count}) must lie within {frames} frames of a [{rows}, {frames}] matrix.");
        if (count == frames)
            return;
        float floor = padding == FramePadding.Floor ? Floor(matrix, rows, frames, start, count) : 0f;
        for (int r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * frames, frames);
            switch (padding)
            {
                case FramePadding.Repeat:
                    for (int f = 0; f < start; f++)
                        row[f] = row[start + Mod(f - start, count)];
                    for (int f = start + count; f < frames; f++)
                        row[f] = row[start + (f - start) % count];
                    break;
                default:
                    row[..start].Fill(floor);
                    row[(start + count)..].Fill(floor);
                    break;
            }
        }
    }

    private static float Floor(ReadOnlySpan<float> matrix, int rows, int frames, int start, int count)
    {
        float min = float.PositiveInfinity;
        for (int r = 0; r < rows; r++)
            min = Math.Min(min, TensorPrimitives.Min(matrix.Slice(r * frames + start, count)));
        return min;
    }

    private static int Mod(int a, int n) => ((a % n) + n) % n;
}
