using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace AudioClassifier.Audio.IO;

/// <summary>Reads and writes float32 NumPy <c>.npy</c> arrays (format 1.0, C order), the interchange format for features.</summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes a little-endian float32 array of the given shape.</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> data, params int[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {count} values but {data.Length} were given.");
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = Magic.Length + 4 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.ASCII.GetBytes(header));
        var buffer = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), data[i]);
        stream.Write(buffer);
    }

    /// <summary>Writes an array to a file.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        using var file = File.Create(path);
        Write(file, data, shape);
    }

    /// <summary>Reads a float32 or float64 array (C or Fortran order); returns C-order float32 data and its shape.</summary>
    public static (float[] Data, int[] Shape) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a .npy file.");
        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int headerStart = major == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header).Groups[1].Value;
        bool fortran = header.Contains("'fortran_order': True", StringComparison.Ordinal);
        var shape = ShapePattern().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var body = bytes.AsSpan(headerStart + headerLength);
        var data = new float[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = descr switch
            {
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(body[(i * 4)..]),
                "<f8" => (float)BinaryPrimitives.ReadDoubleLittleEndian(body[(i * 8)..]),
                _ => throw new InvalidDataException($"{path}: dtype {descr} is not supported."),
            };
        }
        return (fortran ? ToCOrder(data, shape) : data, shape);
    }

    /// <summary>Reorders a column-major (Fortran) array into row-major (C) order.</summary>
    private static float[] ToCOrder(float[] data, int[] shape)
    {
        if (shape.Length < 2)
            return data;
        var c = new float[data.Length];
        var index = new int[shape.Length];
        for (int f = 0; f < data.Length; f++)
        {
            int rem = f;
            for (int d = 0; d < shape.Length; d++)
            {
                index[d] = rem % shape[d];
                rem /= shape[d];
            }
            int offset = 0;
            for (int d = 0; d < shape.Length; d++)
                offset = offset * shape[d] + index[d];
            c[offset] = data[f];
        }
        return c;
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
