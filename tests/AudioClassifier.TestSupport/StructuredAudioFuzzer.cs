using System.Buffers.Binary;

namespace AudioClassifier.TestSupport;

/// <summary>
/// Structure-aware fuzz inputs: well-formed WAV, MP3 and Ogg Vorbis headers whose fields take adversarial values
/// (sample rates from 0 to 2³²−1, channel counts, bit depths, block alignments, chunk sizes that lie, MP3 frame header
/// indices, Vorbis identification fields), followed by a little real-looking payload. Byte mutations rarely produce a
/// header that parses; these always do, so every field reaches the decoder and then the resampler and features.
/// </summary>
public static class StructuredAudioFuzzer
{
    private static readonly uint[] Rates = [0, 1, 999, 1_000, 1_001, 7_919, 8_000, 11_025, 22_050, 44_100, 44_101, 48_000, 96_001, 192_000, 383_999, 384_000, 767_999, 768_000, 768_001, 1_000_000, uint.MaxValue];
    private static readonly ushort[] Channels = [0, 1, 2, 3, 8, 9, 255, ushort.MaxValue];
    private static readonly ushort[] Bits = [0, 1, 4, 8, 12, 16, 20, 24, 32, 48, 64, 65535];
    private static readonly ushort[] FormatTags = [1, 3, 0xFFFE, 2, 6, 7, 0x55, 0, 0xFFFF];

    /// <summary>One input of <paramref name="format"/> ("wav", "mp3" or "ogg"), reproducible from <paramref name="rng"/>.
    /// For Ogg, <paramref name="oggSeed"/> (a real Ogg Vorbis file) gets its identification header rewritten, so that
    /// decoding goes on past the headers; without it a synthetic stream is made.</summary>
    public static byte[] Next(string format, Random rng, byte[]? oggSeed = null) => format switch
    {
        "wav" => Wav(rng),
        "mp3" => Mp3(rng),
        _ => oggSeed is null ? Ogg(rng) : OggFrom(oggSeed, rng),
    };

    private static T Pick<T>(Random rng, T[] values) => values[rng.Next(values.Length)];

    // Each field is usually sane and sometimes adversarial, so that inputs get past the first check and exercise
    // the next one (and the resampler and features) instead of all failing at the first field.
    private static T SaneOr<T>(Random rng, T sane, T[] adversarial) => rng.Next(10) < 7 ? sane : Pick(rng, adversarial);

    private static byte[] Payload(Random rng, int max)
    {
        var data = new byte[rng.Next(0, max)];
        if (rng.Next(3) == 0)
            rng.NextBytes(data);
        else
            for (int i = 0; i < data.Length; i++)
                data[i] = (byte)(128 + 100 * Math.Sin(i * 0.05 * (1 + rng.Next(4))));
        return data;
    }

    private static byte[] Wav(Random rng)
    {
        ushort tag = SaneOr(rng, (ushort)1, FormatTags), channels = SaneOr(rng, (ushort)(1 + rng.Next(2)), Channels), bits = SaneOr(rng, (ushort)16, Bits);
        uint rate = rng.Next(2) == 0 ? (uint)rng.Next(1_000, 768_001) : Pick(rng, Rates); // odd rates: the resampler's worst case
        int frameBytes = Math.Max(1, channels * bits / 8);
        ushort blockAlign = rng.Next(8) switch { 0 => 0, 1 => (ushort)rng.Next(1, 70000), _ => (ushort)Math.Min(frameBytes, ushort.MaxValue) };
        uint byteRate = rng.Next(3) == 0 ? (uint)rng.NextInt64(0, uint.MaxValue) : unchecked(rate * blockAlign);
        var data = Payload(rng, 8192);
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("RIFF"u8);
        w.Write(rng.Next(8) == 0 ? uint.MaxValue : 0u); // patched below unless it lies
        w.Write("WAVE"u8);
        if (rng.Next(6) == 0)
        {
            w.Write("LIST"u8); // an extra chunk that may claim to be huge
            uint listSize = rng.Next(2) == 0 ? 4u : (uint)rng.NextInt64(0, uint.MaxValue);
            w.Write(listSize);
            w.Write("INFO"u8);
        }
        bool extensible = tag == 0xFFFE;
        uint fmtSize = rng.Next(10) switch { 0 => 14u, 1 => uint.MaxValue, 2 => 18u, _ => extensible ? 40u : 16u };
        w.Write("fmt "u8);
        w.Write(fmtSize);
        w.Write(tag);
        w.Write(channels);
        w.Write(rate);
        w.Write(byteRate);
        w.Write(blockAlign);
        w.Write(bits);
        if (extensible)
        {
            w.Write((ushort)22);
            w.Write(bits);
            w.Write((uint)rng.Next());
            w.Write(Pick(rng, FormatTags));
            w.Write(new byte[14]);
        }
        w.Write("data"u8);
        w.Write(rng.Next(8) switch { 0 => uint.MaxValue, 1 => (uint)data.Length + (uint)rng.Next(1, 1000), 2 => 0u, _ => (uint)data.Length });
        w.Write(data);
        var bytes = ms.ToArray();
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) == 0)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    // MPEG audio frames: a valid sync word with every header field (version, layer, bitrate, rate, padding, mode)
    // chosen from its whole range, reserved values included; sometimes behind an ID3v2 tag or a Xing/LAME frame.
    private static byte[] Mp3(Random rng)
    {
        using var ms = new MemoryStream();
        if (rng.Next(4) == 0)
        {
            ms.Write("ID3"u8);
            ms.Write([4, 0, 0]);
            int size = rng.Next(0, 2048);
            ms.Write([(byte)((size >> 21) & 0x7F), (byte)((size >> 14) & 0x7F), (byte)((size >> 7) & 0x7F), (byte)(size & 0x7F)]);
            ms.Write(new byte[Math.Min(size, rng.Next(0, 2048))]);
        }
        int frames = rng.Next(1, 40);
        Span<byte> h = stackalloc byte[4];
        int[] bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0];
        int[] rates = [44100, 48000, 32000, 0];
        for (int f = 0; f < frames; f++)
        {
            // Mostly MPEG-1 layer III with a real bitrate and rate; sometimes any value of every field, reserved ones too.
            bool sane = rng.Next(10) < 8;
            int version = sane ? 3 : rng.Next(4), layer = sane ? 1 : rng.Next(4), bitrate = sane ? rng.Next(1, 15) : rng.Next(16);
            int rate = sane ? rng.Next(3) : rng.Next(4), padding = rng.Next(2), mode = rng.Next(4);
            uint header = 0xFFE00000u | (uint)(version << 19) | (uint)(layer << 17) | 1u << 16 | (uint)(bitrate << 12) | (uint)(rate << 10) | (uint)(padding << 9) | (uint)(mode << 6);
            BinaryPrimitives.WriteUInt32BigEndian(h, header);
            ms.Write(h);
            int length = sane && rates[rate] > 0 ? 144 * bitrates[bitrate] * 1000 / rates[rate] + padding - 4 : rng.Next(0, 1500);
            var body = Payload(rng, Math.Max(1, length + 1));
            if (sane && body.Length < length)
                Array.Resize(ref body, length);
            if (f == 0 && rng.Next(3) == 0 && body.Length > 200)
            {
                "Xing"u8.CopyTo(body.AsSpan(32));
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(36), 0x0F);
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(40), (uint)rng.NextInt64(0, uint.MaxValue)); // frame count
                "LAME"u8.CopyTo(body.AsSpan(152));
            }
            ms.Write(body);
        }
        return ms.ToArray();
    }

    // One Ogg page holding a Vorbis identification header with adversarial channels, rate, bitrates and block sizes
    // (correct CRC, so the container is accepted), then pages of random packets.
    private static byte[] Ogg(Random rng)
    {
        using var ms = new MemoryStream();
        var id = new byte[30];
        id[0] = 1;
        "vorbis"u8.CopyTo(id.AsSpan(1));
        BinaryPrimitives.WriteUInt32LittleEndian(id.AsSpan(7), rng.Next(8) == 0 ? (uint)rng.Next() : 0u); // version
        id[11] = (byte)Pick(rng, Channels);
        BinaryPrimitives.WriteUInt32LittleEndian(id.AsSpan(12), Pick(rng, Rates));
        BinaryPrimitives.WriteInt32LittleEndian(id.AsSpan(16), rng.Next());
        BinaryPrimitives.WriteInt32LittleEndian(id.AsSpan(20), rng.Next());
        BinaryPrimitives.WriteInt32LittleEndian(id.AsSpan(24), rng.Next());
        id[28] = (byte)(rng.Next(16) | rng.Next(16) << 4); // block sizes, any exponents
        id[29] = (byte)(rng.Next(4) == 0 ? 0 : 1); // framing bit
        uint serial = (uint)rng.Next();
        WritePage(ms, id, 0x02, serial, 0, 0);
        int pages = rng.Next(0, 4);
        for (int p = 1; p <= pages; p++)
            WritePage(ms, Payload(rng, 3000), 0, serial, p, (ulong)rng.NextInt64());
        return ms.ToArray();
    }

    // The seed's first page holds the identification header: rewrite channels, rate and block sizes (keeping the
    // rest of the stream as it is) and fix the page's CRC.
    private static byte[] OggFrom(byte[] seed, Random rng)
    {
        var bytes = (byte[])seed.Clone();
        int packet = 27 + bytes[26];
        if (rng.Next(2) == 0)
            bytes[packet + 11] = (byte)Pick(rng, Channels);
        if (rng.Next(2) == 0)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(packet + 12), rng.Next(2) == 0 ? (uint)rng.Next(1, 800_000) : Pick(rng, Rates));
        if (rng.Next(3) == 0)
            bytes[packet + 28] = (byte)(rng.Next(16) | rng.Next(16) << 4);
        if (rng.Next(6) == 0)
            Array.Resize(ref bytes, rng.Next(packet + 30, bytes.Length)); // cut anywhere after the header
        int pageLength = packet + bytes[27 .. (27 + bytes[26])].Sum(b => (int)b);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(22), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(22), OggCrc(bytes.AsSpan(0, Math.Min(pageLength, bytes.Length))));
        return bytes;
    }

    private static void WritePage(Stream s, byte[] packet, byte flags, uint serial, int sequence, ulong granule)
    {
        int segments = packet.Length / 255 + 1;
        if (segments > 255)
        {
            Array.Resize(ref packet, 254 * 255);
            segments = 255;
        }
        var page = new byte[27 + segments + packet.Length]; // CRC field zero until computed
        "OggS"u8.CopyTo(page);
        page[5] = flags;
        BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(6), granule);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(14), serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(18), (uint)sequence);
        page[26] = (byte)segments;
        for (int i = 0; i < segments; i++)
            page[27 + i] = (byte)(i < segments - 1 ? 255 : packet.Length % 255);
        packet.CopyTo(page, 27 + segments);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), OggCrc(page));
        s.Write(page);
    }

    // Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0, over the page with its CRC field zeroed.
    private static uint OggCrc(ReadOnlySpan<byte> page)
    {
        uint crc = 0;
        foreach (byte b in page)
        {
            crc ^= (uint)b << 24;
            for (int k = 0; k < 8; k++)
                crc = (crc & 0x80000000) != 0 ? crc << 1 ^ 0x04C11DB7 : crc << 1;
        }
        return crc;
    }
}
