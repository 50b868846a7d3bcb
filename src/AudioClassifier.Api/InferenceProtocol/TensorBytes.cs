using System.Buffers.Binary;
using System.Text;

namespace AudioClassifier.Api.InferenceProtocol;

/// <summary>The protocol's raw tensor layout, shared by REST binary data and gRPC raw contents: FP32 as little-endian
/// floats; BOOL as one byte per element (0 or 1); BYTES as each element's 4-byte little-endian length followed by
/// its bytes.</summary>
public static class TensorBytes
{
    public static float[] ReadFp32(string name, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 4 != 0)
            throw new InferenceProtocolException(400, $"Input '{name}': {bytes.Length} bytes of FP32 data is not a whole number of floats.");
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i, 4));
        return values;
    }

    public static byte[][] ReadBytes(string name, ReadOnlySpan<byte> bytes)
    {
        var elements = new List<byte[]>();
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 4)
                throw new InferenceProtocolException(400, $"Input '{name}': BYTES data ends inside the length of element {elements.Count}.");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(at, 4));
            at += 4;
            if (length > bytes.Length - at)
                throw new InferenceProtocolException(400, $"Input '{name}': BYTES element {elements.Count} declares {length} bytes but {bytes.Length - at} are left.");
            elements.Add(bytes.Slice(at, (int)length).ToArray());
            at += (int)length;
        }
        return elements.ToArray();
    }

    /// <summary>An output's values in the raw layout.</summary>
    public static byte[] Write(InferOutput output)
    {
        using var stream = new MemoryStream();
        Span<byte> four = stackalloc byte[4];
        if (output.Bools is { } bools)
        {
            foreach (bool b in bools)
                stream.WriteByte(b ? (byte)1 : (byte)0);
        }
        else if (output.Fp32 is { } floats)
        {
            foreach (float f in floats)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, f);
                stream.Write(four);
            }
        }
        else
        {
            foreach (var s in output.Strings!)
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                BinaryPrimitives.WriteUInt32LittleEndian(four, (uint)bytes.Length);
                stream.Write(four);
                stream.Write(bytes);
            }
        }
        return stream.ToArray();
    }
}
