namespace AudioClassifier.TestSupport;

/// <summary>
/// Deterministic mutations of real audio files for fuzzing: bit flips, truncations, scrambled headers, huge declared
/// sizes, spliced random tails, duplicated chunks and random bytes behind a valid magic number (cycled by index).
/// </summary>
public static class AudioMutator
{
    public static byte[] Mutate(byte[] seed, Random rng, int i)
    {
        var data = seed.ToArray();
        switch (i % 7)
        {
            case 0: // bit flips
                for (int k = rng.Next(1, 64); k > 0; k--)
                    data[rng.Next(data.Length)] ^= (byte)(1 << rng.Next(8));
                return data;
            case 1: // truncation
                return data[..rng.Next(data.Length)];
            case 2: // header region scrambled
                for (int k = rng.Next(1, 16); k > 0; k--)
                    data[rng.Next(Math.Min(data.Length, 128))] = (byte)rng.Next(256);
                return data;
            case 3: // huge declared sizes written at random header offsets
                for (int k = rng.Next(1, 4); k > 0; k--)
                {
                    int at = rng.Next(Math.Min(data.Length - 4, 96));
                    BitConverter.GetBytes(rng.Next(2) == 0 ? 0x7FFFFFF0u : (uint)rng.Next()).CopyTo(data, at);
                }
                return data;
            case 4: // spliced: this header, random tail
            {
                int cut = rng.Next(Math.Min(data.Length, 256));
                var tail = new byte[rng.Next(0, 20000)];
                rng.NextBytes(tail);
                return [.. data[..cut], .. tail];
            }
            case 5: // duplicated and shuffled chunks
            {
                int a = rng.Next(data.Length), len = rng.Next(1, Math.Min(4096, data.Length - a + 1));
                int b = rng.Next(data.Length);
                return [.. data[..b], .. data.AsSpan(a, len).ToArray(), .. data[b..]];
            }
            default: // random bytes with a valid magic
            {
                var random = new byte[rng.Next(4, 8192)];
                rng.NextBytes(random);
                seed.AsSpan(0, Math.Min(4, random.Length)).CopyTo(random);
                return random;
            }
        }
    }
}
