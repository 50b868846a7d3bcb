using System.Buffers.Binary;
using Google.Protobuf;

namespace AudioClassifier.Trainer.Tracking;

/// <summary>
/// Writes TensorBoard image and audio summaries, which TorchSharp's SummaryWriter lacks (no add_audio) or cannot
/// encode here (its add_img needs SkiaSharp's native library): its own event file in the run's TensorBoard folder,
/// TFRecord-framed (length, masked CRC32C, Event protobuf, masked CRC32C), with PNG and WAV payloads.
/// </summary>
public sealed class TensorBoardMediaWriter : IDisposable
{
    private readonly FileStream _file;

    public TensorBoardMediaWriter(string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(logDirectory, $"events.out.tfevents.{now}.{Environment.MachineName}.media");
        _file = File.Create(Path);
        Write(new Tensorboard.Event { WallTime = now, FileVersion = "brain.Event:2" });
    }

    public string Path { get; }

    /// <summary>Adds a mono clip (samples in [-1, 1]) under <paramref name="tag"/>.</summary>
    public void AddAudio(string tag, ReadOnlySpan<float> samples, int sampleRate, long step)
    {
        var audio = new Tensorboard.Summary.Types.Audio
        {
            SampleRate = sampleRate,
            NumChannels = 1,
            LengthFrames = samples.Length,
            ContentType = "audio/wav",
            EncodedAudioString = ByteString.CopyFrom(Wav16(samples, sampleRate)),
        };
        var summary = new Tensorboard.Summary();
        summary.Value.Add(new Tensorboard.Summary.Types.Value { Tag = tag, Audio = audio });
        Write(new Tensorboard.Event { WallTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, Step = step, Summary = summary });
    }

    /// <summary>Adds a PNG image under <paramref name="tag"/>.</summary>
    public void AddImage(string tag, byte[] png, int width, int height, long step)
    {
        var image = new Tensorboard.Summary.Types.Image { Width = width, Height = height, Colorspace = 3, EncodedImageString = ByteString.CopyFrom(png) };
        var summary = new Tensorboard.Summary();
        summary.Value.Add(new Tensorboard.Summary.Types.Value { Tag = tag, Image = image });
        Write(new Tensorboard.Event { WallTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, Step = step, Summary = summary });
    }

    private void Write(Tensorboard.Event e)
    {
        var data = e.ToByteArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        _file.Write(header);
        _file.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        _file.Write(footer);
        _file.Flush();
    }

    private static byte[] Wav16(ReadOnlySpan<float> samples, int rate)
    {
        var bytes = new byte[44 + samples.Length * 2];
        var s = bytes.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], bytes.Length - 8);
        "WAVEfmt "u8.CopyTo(s[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(s[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(s[24..], rate);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], rate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(s[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(s[34..], 16);
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[40..], samples.Length * 2);
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(s[(44 + 2 * i)..], (short)Math.Clamp(Math.Round(samples[i] * 32767.0), -32768, 32767));
        return bytes;
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>CRC-32C (Castagnoli) with TFRecord's masking.</summary>
internal static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Compute(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFF;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0x82F63B78 ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
