using System.Buffers.Binary;

namespace AudioClassifier.TestSupport;

/// <summary>Builds WAV files byte by byte, including deliberately inconsistent ones, for decoder tests.</summary>
public static class WavBuilder
{
    public static byte[] Pcm16(short[] interleaved, int sampleRate, int channels)
    {
        var data = new byte[interleaved.Length * 2];
        for (int i = 0; i < interleaved.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(i * 2), interleaved[i]);
        return Build(1, channels, sampleRate, 16, data);
    }

    public static byte[] Build(ushort formatTag, int channels, int sampleRate, int bits, byte[] data,
        uint? declaredDataSize = null, byte[]? extraChunk = null, bool extensible = false, ushort extensibleSubFormat = 1)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("RIFF"u8);
        w.Write(0u); // patched below
        w.Write("WAVE"u8);
        w.Write("fmt "u8);
        w.Write(extensible ? 40u : 16u);
        w.Write(extensible ? (ushort)0xFFFE : formatTag);
        w.Write((ushort)channels);
        w.Write((uint)sampleRate);
        w.Write((uint)(sampleRate * channels * bits / 8));
        w.Write((ushort)(channels * bits / 8));
        w.Write((ushort)bits);
        if (extensible)
        {
            w.Write((ushort)22);
            w.Write((ushort)bits);
            w.Write(channels == 2 ? 3u : 4u);
            w.Write(extensibleSubFormat);
            w.Write(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 });
        }
        if (extraChunk is not null)
            w.Write(extraChunk);
        w.Write("data"u8);
        w.Write(declaredDataSize ?? (uint)data.Length);
        w.Write(data);
        w.Flush();
        var bytes = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    public static short[] Sine(int sampleRate, double seconds, double hz, int channels = 1)
    {
        int n = (int)(sampleRate * seconds);
        var s = new short[n * channels];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < channels; c++)
                s[i * channels + c] = (short)(12000 * Math.Sin(2 * Math.PI * hz * (c + 1) * i / sampleRate));
        }
        return s;
    }
}
