using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AudioClassifier.Audio.Dsp;

/// <summary>
/// Band-limited resampling with torchaudio's default algorithm (<c>sinc_interp_hann</c>, lowpass filter width 6,
/// rolloff 0.99, output length ceil(new·len/orig)). torchaudio builds one kernel row per output phase, new/gcd rows
/// of orig/gcd + 2·width taps: tiny for the usual rates, but 22 050 × 768 000 doubles for a clip declaring 767 999 Hz
/// (23 s of CPU from a 244-byte upload). So the exact polyphase kernel is built, in float64 as torchaudio does, only
/// when it costs at most <see cref="ExactKernelBudget"/> cells (every common rate: 8–192 kHz and their multiples); any
/// other rate pair evaluates the same windowed-sinc kernel at each tap from a finely sampled table, at a cost of about
/// 12 taps per input or output sample whatever the rates' greatest common divisor (difference to the exact kernel
/// below 1e-6: <c>ResamplerTests</c>). Exact kernels are cached, the cache bounded in bytes.
/// </summary>
public sealed class Resampler
{
    private const int LowpassFilterWidth = 6;
    private const double Rolloff = 0.99;

    /// <summary>Most kernel cells (phases × taps per phase, before trimming) an exact kernel may take to build.</summary>
    public const long ExactKernelBudget = 1L << 21;

    /// <summary>Most bytes of exact kernels kept for reuse; the least recently used are dropped beyond it.</summary>
    public const long CacheCapacityBytes = 8L << 20;

    private static readonly KernelCache Cache = new(CacheCapacityBytes);

    /// <summary>Input floats de-interleaved at once (1 MB): a chunk of output blocks, not the whole clip.</summary>
    private const int ChunkFloats = 1 << 18;

    private readonly int _from, _to;  // as given
    private readonly int _orig;       // reduced by gcd
    private readonly int _new;        // reduced by gcd
    private readonly int _width;
    private readonly float[][]? _phases;  // non-zero taps of each output phase (null: any-ratio path)
    private readonly int[] _phaseOffsets = []; // index into the zero-padded input of each phase's first tap
    private readonly int _maxTaps;

    /// <param name="anyRatio">Take the any-ratio path even where the exact kernel is affordable (tests compare the two).</param>
    internal Resampler(int fromRate, int toRate, bool anyRatio = false)
    {
        (_from, _to) = (fromRate, toRate);
        int g = Gcd(fromRate, toRate);
        _orig = fromRate / g;
        _new = toRate / g;
        double baseFreq = Math.Min(_orig, _new) * Rolloff;
        _width = (int)Math.Ceiling(LowpassFilterWidth * _orig / baseFreq);
        int taps = 2 * _width + _orig;
        if (anyRatio || (long)_new * taps > ExactKernelBudget)
            return;
        double scale = baseFreq / _orig;
        _phases = new float[_new][];
        _phaseOffsets = new int[_new];
        var row = new double[taps];
        for (int k = 0; k < _new; k++)
        {
            int first = -1, last = -1;
            for (int m = 0; m < taps; m++)
            {
                double t = (-(double)k / _new + (double)(m - _width) / _orig) * baseFreq;
                if (t <= -LowpassFilterWidth || t >= LowpassFilterWidth)
                {
                    row[m] = 0;
                    continue;
                }
                double window = Math.Cos(t * Math.PI / LowpassFilterWidth / 2);
                window *= window;
                double x = t * Math.PI;
                double sinc = x == 0 ? 1.0 : Math.Sin(x) / x;
                row[m] = sinc * window * scale;
                if (first < 0)
                    first = m;
                last = m;
            }
            _phaseOffsets[k] = first;
            _phases[k] = new float[last - first + 1];
            for (int m = first; m <= last; m++)
                _phases[k][m - first] = (float)row[m];
        }
        _maxTaps = _phases.Max(p => p.Length);
    }

    /// <summary>True when this rate pair uses torchaudio's exact polyphase kernel; false on the any-ratio path.</summary>
    public bool IsExact => _phases is not null;

    /// <summary>Bytes held by the exact kernel (0 on the any-ratio path).</summary>
    public long KernelBytes => _phases is null ? 0 : _phases.Sum(p => 16L + 4L * p.Length) + 4L * _phaseOffsets.Length;

    /// <summary>Bytes of exact kernels cached now (at most <see cref="CacheCapacityBytes"/>).</summary>
    public static long CachedKernelBytes => Cache.Bytes;

    /// <summary>The resampler for a pair of rates: a cached exact kernel, or the any-ratio path (nothing to cache).</summary>
    public static Resampler For(int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fromRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(toRate, 1);
        return Cache.GetOrAdd((fromRate, toRate), static k => new Resampler(k.Item1, k.Item2));
    }

    /// <summary>Resamples mono audio; returns the input unchanged when the rates are equal.</summary>
    public static float[] Resample(float[] samples, int fromRate, int toRate) =>
        fromRate == toRate ? samples : For(fromRate, toRate).Process(samples);

    /// <summary>Output length torchaudio produces for an input of <paramref name="inputLength"/> samples.</summary>
    public long OutputLength(long inputLength) => (_new * inputLength + _orig - 1) / _orig;

    /// <summary>How many input samples outputs [0, <paramref name="outputs"/>) depend on: resampling that prefix of a
    /// longer input gives exactly those outputs (the kernel reaches no further), e.g. one window of a long clip.</summary>
    public long InputLengthFor(long outputs)
    {
        if (outputs <= 0)
            return 0;
        // Exact path: output block b (outputs b·new … b·new + new − 1) reads inputs b·orig − width … b·orig + width + orig − 1.
        if (IsExact)
            return ((outputs - 1) / _new + 1) * _orig + _width;
        // Any-ratio path: output n reads inputs up to n·from/to + 6/s.
        double reach = LowpassFilterWidth / (Rolloff * Math.Min(1.0, (double)_to / _from));
        return (long)Math.Floor((double)(outputs - 1) * _from / _to + reach) + 1;
    }

    /// <summary>Resamples one channel.</summary>
    public float[] Process(ReadOnlySpan<float> input)
    {
        var output = new float[OutputLength(input.Length)];
        Process(input, output);
        return output;
    }

    /// <summary>Resamples one channel into <paramref name="output"/>, which must hold <see cref="OutputLength"/> samples.</summary>
    /// <remarks>
    /// Polyphase form of torchaudio's strided convolution. The zero-padded input is split into <c>orig</c>
    /// interleaved phases so that, for a fixed output phase and tap, the inputs of consecutive output blocks are
    /// contiguous: every tap becomes one SIMD multiply-add over a block of outputs.
    /// </remarks>
    public void Process(ReadOnlySpan<float> input, Span<float> output)
    {
        long expected = OutputLength(input.Length);
        if (output.Length != expected)
            throw new ArgumentException($"Output must hold {expected} samples.", nameof(output));
        if (output.IsEmpty)
            return;
        if (_phases is null)
        {
            AnyRatio(input, output);
            return;
        }
        int blocks = (output.Length + _new - 1) / _new;
        int lanes = Vector<float>.Count;
        // Output blocks in chunks whose de-interleaved input is about ChunkFloats: memory stays a few MB whatever the
        // clip's length (de-interleaving a whole 10-minute 44.1 kHz clip took another 106 MB), and every output is
        // the same sum in the same order as in one pass, so chunking changes no bit.
        int chunk = Math.Max(4 * lanes, ChunkFloats / _orig / (4 * lanes) * (4 * lanes));
        int columns = chunk + (2 * _width + _orig) / _orig + 1;
        var pool = System.Buffers.ArrayPool<float>.Shared;
        var phases = pool.Rent(_orig * columns);
        var offsets = System.Buffers.ArrayPool<int>.Shared.Rent(_maxTaps);
        try
        {
            var p = phases.AsSpan(0, _orig * columns);
            for (int first = 0; first < blocks; first += chunk)
            {
                Deinterleave(input, p, columns, first);
                RunPhases(p, columns, first, Math.Min(chunk, blocks - first), offsets, output);
            }
        }
        finally
        {
            pool.Return(phases);
            System.Buffers.ArrayPool<int>.Shared.Return(offsets);
        }
    }

    // Outputs of blocks [first, first + count), from the de-interleaved input of those blocks (column 0 = block first).
    private void RunPhases(Span<float> p, int columns, int first, int count, int[] offsets, Span<float> output)
    {
        int lanes = Vector<float>.Count;
        for (int k = 0; k < _new; k++)
        {
            var taps = _phases![k];
            for (int j = 0; j < taps.Length; j++)
            {
                int a = _phaseOffsets[k] + j;
                offsets[j] = (a % _orig) * columns + a / _orig;
            }
            // Eight output blocks per vector: the accumulator stays in a register across all taps. Offsets were
            // bounded above (columns covers the last vector and the widest tap), so loads skip range checks.
            ref float origin = ref MemoryMarshal.GetReference(p);
            ref float tap0 = ref MemoryMarshal.GetArrayDataReference(taps);
            ref int offset0 = ref MemoryMarshal.GetArrayDataReference(offsets);
            int b = 0;
            // Four independent accumulators hide the multiply-add latency chain.
            for (; b + 4 * lanes <= count; b += 4 * lanes)
            {
                Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (int j = 0; j < taps.Length; j++)
                {
                    var w = new Vector<float>(Unsafe.Add(ref tap0, j));
                    nuint at = (nuint)(Unsafe.Add(ref offset0, j) + b);
                    s0 += w * Vector.LoadUnsafe(ref origin, at);
                    s1 += w * Vector.LoadUnsafe(ref origin, at + (nuint)lanes);
                    s2 += w * Vector.LoadUnsafe(ref origin, at + (nuint)(2 * lanes));
                    s3 += w * Vector.LoadUnsafe(ref origin, at + (nuint)(3 * lanes));
                }
                Store(s0, first + b, k, output);
                Store(s1, first + b + lanes, k, output);
                Store(s2, first + b + 2 * lanes, k, output);
                Store(s3, first + b + 3 * lanes, k, output);
            }
            for (; b < count; b += lanes)
            {
                var sum = Vector<float>.Zero;
                for (int j = 0; j < taps.Length; j++)
                    sum += new Vector<float>(Unsafe.Add(ref tap0, j)) * Vector.LoadUnsafe(ref origin, (nuint)(Unsafe.Add(ref offset0, j) + b));
                Store(sum, first + b, k, output);
            }
        }
    }

    /// <summary>
    /// The same kernel for any ratio: output n sits at input position c = n·from/to and is
    /// Σ x[i]·s·sinc(π·t)·cos²(π·t/12) over the inputs with |t| &lt; 6, where t = (i − c)·s and s = 0.99·min(1, to/from)
    /// (torchaudio's formula with the gcd taken out). The kernel comes from a table of 4096 points per unit of t,
    /// linearly interpolated.
    /// </summary>
    private void AnyRatio(ReadOnlySpan<float> x, Span<float> y)
    {
        double s = Rolloff * Math.Min(1.0, (double)_to / _from);
        double reach = LowpassFilterWidth / s;
        var table = KernelTable.Values;
        for (int n = 0; n < y.Length; n++)
        {
            double c = (double)n * _from / _to;
            int first = Math.Max(0, (int)Math.Ceiling(c - reach));
            int last = (int)Math.Min(x.Length - 1, Math.Floor(c + reach));
            double sum = 0;
            for (int i = first; i <= last; i++)
            {
                double t = Math.Abs((i - c) * s) * KernelTable.StepsPerUnit;
                int j = (int)t;
                if (j >= table.Length - 1)
                    continue;
                sum += x[i] * (table[j] + (t - j) * (table[j + 1] - table[j]));
            }
            y[n] = (float)(sum * s);
        }
    }

    /// <summary>sinc(π·t)·cos²(π·t/12) for t in [0, 6], 4096 points per unit.</summary>
    private static class KernelTable
    {
        public const int StepsPerUnit = 4096;
        public static readonly double[] Values = Build();

        private static double[] Build()
        {
            var v = new double[LowpassFilterWidth * StepsPerUnit + 1];
            for (int j = 0; j < v.Length; j++)
            {
                double t = (double)j / StepsPerUnit;
                double window = Math.Cos(t * Math.PI / LowpassFilterWidth / 2);
                double x = t * Math.PI;
                v[j] = (x == 0 ? 1.0 : Math.Sin(x) / x) * window * window;
            }
            return v;
        }
    }

    /// <summary>Exact kernels by rate pair, least recently used dropped once their bytes pass the capacity.</summary>
    private sealed class KernelCache(long capacityBytes)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<(int, int), LinkedListNode<((int, int) Key, Resampler Value)>> _map = [];
        private readonly LinkedList<((int, int) Key, Resampler Value)> _order = new();
        private long _bytes;

        public long Bytes
        {
            get
            {
                lock (_gate)
                    return _bytes;
            }
        }

        public Resampler GetOrAdd((int, int) key, Func<(int, int), Resampler> create)
        {
            lock (_gate)
            {
                if (_map.TryGetValue(key, out var hit))
                {
                    _order.Remove(hit);
                    _order.AddFirst(hit);
                    return hit.Value.Value;
                }
            }
            var made = create(key); // outside the lock: building a kernel takes milliseconds
            if (!made.IsExact)
                return made;
            lock (_gate)
            {
                if (_map.TryGetValue(key, out var raced))
                    return raced.Value.Value;
                _map[key] = _order.AddFirst((key, made));
                _bytes += made.KernelBytes;
                while (_bytes > capacityBytes && _order.Last is { } oldest && oldest.Value.Value != made)
                {
                    _order.RemoveLast();
                    _map.Remove(oldest.Value.Key);
                    _bytes -= oldest.Value.Value.KernelBytes;
                }
                return made;
            }
        }
    }

    /// <summary>Writes the outputs of blocks b..b+lanes−1 for phase k (output index block·new + k).</summary>
    private void Store(Vector<float> sum, int b, int k, Span<float> output)
    {
        int lanes = Vector<float>.Count;
        if (_new == 1 && b + lanes <= output.Length)
        {
            sum.CopyTo(output.Slice(b, lanes));
            return;
        }
        for (int l = 0; l < lanes; l++)
        {
            long o = (long)(b + l) * _new + k;
            if (o >= output.Length)
                return;
            output[(int)o] = sum[l];
        }
    }

    /// <summary>phases[r·columns + c] = x[(firstColumn + c)·orig + r − width], zero outside the input (torchaudio's
    /// padding).</summary>
    private void Deinterleave(ReadOnlySpan<float> x, Span<float> phases, int columns, int firstColumn)
    {
        for (int r = 0; r < _orig; r++)
        {
            var row = phases.Slice(r * columns, columns);
            row.Clear();
            // Columns whose source index (firstColumn + c)·orig + r − width falls inside the input.
            long first = Math.Max(0, (_width - r + _orig - 1) / _orig - (long)firstColumn);
            long i = (firstColumn + first) * _orig + r - _width;
            for (long c = first; c < columns && i < x.Length; c++, i += _orig)
                row[(int)c] = x[(int)i];
        }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }
}
