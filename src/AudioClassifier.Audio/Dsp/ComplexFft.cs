namespace AudioClassifier.Audio.Dsp;

/// <summary>
/// Forward complex FFT of any length: mixed-radix Stockham autosort for lengths whose prime factors are small
/// (radix 4, 2, 3, 5 kernels plus a generic small-prime kernel), Bluestein's chirp-z for lengths with a large prime
/// factor. A plan precomputes every twiddle once and holds no per-call state, so one plan serves many threads.
/// Data is interleaved (re, im) floats.
/// </summary>
internal sealed class ComplexFft
{
    private const int MaxDirectPrime = 13;
    private readonly int[] _radices;
    private readonly float[][] _twiddles;
    private readonly Bluestein? _bluestein;

    public ComplexFft(int length)
    {
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), length, "FFT length must be positive.");
        Length = length;
        var radices = Factorize(length);
        if (radices.Count > 0 && radices.Max() > MaxDirectPrime)
        {
            _bluestein = new Bluestein(length);
            _radices = [];
            _twiddles = [];
            return;
        }
        _radices = radices.ToArray();
        _twiddles = new float[_radices.Length][];
        int ns = 1;
        for (int s = 0; s < _radices.Length; s++)
        {
            int r = _radices[s];
            var tw = new float[2 * ns * r];
            for (int j = 0; j < ns; j++)
            {
                for (int q = 0; q < r; q++)
                {
                    double angle = -2.0 * Math.PI * j * q / (ns * r);
                    tw[2 * (j * r + q)] = (float)Math.Cos(angle);
                    tw[2 * (j * r + q) + 1] = (float)Math.Sin(angle);
                }
            }
            _twiddles[s] = tw;
            ns *= r;
        }
    }

    public int Length { get; }

    /// <summary>Scratch floats <see cref="Forward"/> needs.</summary>
    public int ScratchLength => _bluestein?.ScratchLength ?? 2 * Length;

    /// <summary>Transforms <paramref name="data"/> (2·Length floats) in place using <paramref name="scratch"/>.</summary>
    public void Forward(Span<float> data, Span<float> scratch)
    {
        if (_bluestein is not null)
        {
            _bluestein.Forward(data, scratch);
            return;
        }
        Span<float> src = data, dst = scratch[..(2 * Length)];
        int ns = 1;
        for (int s = 0; s < _radices.Length; s++)
        {
            int r = _radices[s];
            Stage(src, dst, Length, r, ns, _twiddles[s]);
            var t = src;
            src = dst;
            dst = t;
            ns *= r;
        }
        if (_radices.Length % 2 == 1)
            src.CopyTo(data);
    }

    private static void Stage(ReadOnlySpan<float> src, Span<float> dst, int n, int r, int ns, float[] tw)
    {
        int stride = n / r;
        Span<float> v = stackalloc float[2 * r];
        for (int j = 0; j < stride; j++)
        {
            int jm = j % ns;
            for (int q = 0; q < r; q++)
            {
                int si = 2 * (j + q * stride);
                float re = src[si], im = src[si + 1];
                float wr = tw[2 * (jm * r + q)], wi = tw[2 * (jm * r + q) + 1];
                v[2 * q] = re * wr - im * wi;
                v[2 * q + 1] = re * wi + im * wr;
            }
            Butterfly(v, r);
            int di = (j / ns) * ns * r + jm;
            for (int q = 0; q < r; q++)
            {
                dst[2 * (di + q * ns)] = v[2 * q];
                dst[2 * (di + q * ns) + 1] = v[2 * q + 1];
            }
        }
    }

    /// <summary>In-place DFT of r points (forward, e^{-2πi/r}).</summary>
    private static void Butterfly(Span<float> v, int r)
    {
        switch (r)
        {
            case 2:
            {
                float ar = v[0], ai = v[1], br = v[2], bi = v[3];
                v[0] = ar + br; v[1] = ai + bi; v[2] = ar - br; v[3] = ai - bi;
                return;
            }
            case 4:
            {
                float ar = v[0], ai = v[1], br = v[2], bi = v[3], cr = v[4], ci = v[5], dr = v[6], di = v[7];
                float t0r = ar + cr, t0i = ai + ci, t1r = ar - cr, t1i = ai - ci;
                float t2r = br + dr, t2i = bi + di, t3r = br - dr, t3i = bi - di;
                v[0] = t0r + t2r; v[1] = t0i + t2i;
                v[4] = t0r - t2r; v[5] = t0i - t2i;
                // -i * t3
                v[2] = t1r + t3i; v[3] = t1i - t3r;
                v[6] = t1r - t3i; v[7] = t1i + t3r;
                return;
            }
            case 3:
            {
                const float c = -0.5f, s = -0.86602540378443864676f;
                float ar = v[0], ai = v[1], br = v[2], bi = v[3], cr = v[4], ci = v[5];
                float sr = br + cr, si = bi + ci, dr = br - cr, di = bi - ci;
                float mr = ar + c * sr, mi = ai + c * si;
                v[0] = ar + sr; v[1] = ai + si;
                v[2] = mr - s * di; v[3] = mi + s * dr;
                v[4] = mr + s * di; v[5] = mi - s * dr;
                return;
            }
            default:
                GenericButterfly(v, r);
                return;
        }
    }

    private static void GenericButterfly(Span<float> v, int r)
    {
        Span<float> o = stackalloc float[2 * r];
        for (int k = 0; k < r; k++)
        {
            double sr = 0, si = 0;
            for (int q = 0; q < r; q++)
            {
                double angle = -2.0 * Math.PI * ((long)k * q % r) / r;
                double c = Math.Cos(angle), s = Math.Sin(angle);
                sr += v[2 * q] * c - v[2 * q + 1] * s;
                si += v[2 * q] * s + v[2 * q + 1] * c;
            }
            o[2 * k] = (float)sr;
            o[2 * k + 1] = (float)si;
        }
        o.CopyTo(v);
    }

    /// <summary>Radices for a length: fours first, then twos, then odd primes (the last factor may be a large prime).</summary>
    internal static List<int> Factorize(int n)
    {
        var f = new List<int>();
        while (n % 4 == 0) { f.Add(4); n /= 4; }
        while (n % 2 == 0) { f.Add(2); n /= 2; }
        for (int p = 3; n > 1; p += 2)
        {
            if ((long)p * p > n) { f.Add(n); break; }
            while (n % p == 0) { f.Add(p); n /= p; }
        }
        return f;
    }

    /// <summary>Chirp-z transform: a length-n DFT as a circular convolution computed with power-of-two FFTs.</summary>
    private sealed class Bluestein
    {
        private readonly int _n;
        private readonly int _m;
        private readonly ComplexFft _fft;
        private readonly float[] _chirp;        // e^{-iπk²/n}, k < n
        private readonly float[] _kernelSpectrum; // FFT of conj chirp, wrapped circularly

        public Bluestein(int n)
        {
            _n = n;
            _m = 1;
            while (_m < 2 * n - 1)
                _m <<= 1;
            _fft = new ComplexFft(_m);
            _chirp = new float[2 * n];
            for (int k = 0; k < n; k++)
            {
                double angle = -Math.PI * ((long)k * k % (2L * n)) / n;
                _chirp[2 * k] = (float)Math.Cos(angle);
                _chirp[2 * k + 1] = (float)Math.Sin(angle);
            }
            _kernelSpectrum = new float[2 * _m];
            for (int k = 0; k < n; k++)
            {
                _kernelSpectrum[2 * k] = _chirp[2 * k];
                _kernelSpectrum[2 * k + 1] = -_chirp[2 * k + 1];
                if (k > 0)
                {
                    _kernelSpectrum[2 * (_m - k)] = _chirp[2 * k];
                    _kernelSpectrum[2 * (_m - k) + 1] = -_chirp[2 * k + 1];
                }
            }
            _fft.Forward(_kernelSpectrum, new float[2 * _m]);
        }

        public int ScratchLength => 4 * _m;

        public void Forward(Span<float> data, Span<float> scratch)
        {
            var a = scratch[..(2 * _m)];
            var work = scratch.Slice(2 * _m, 2 * _m);
            a.Clear();
            for (int k = 0; k < _n; k++)
            {
                float xr = data[2 * k], xi = data[2 * k + 1], cr = _chirp[2 * k], ci = _chirp[2 * k + 1];
                a[2 * k] = xr * cr - xi * ci;
                a[2 * k + 1] = xr * ci + xi * cr;
            }
            _fft.Forward(a, work);
            // Multiply by the kernel spectrum and conjugate, so a forward FFT performs the inverse.
            for (int k = 0; k < _m; k++)
            {
                float ar = a[2 * k], ai = a[2 * k + 1], br = _kernelSpectrum[2 * k], bi = _kernelSpectrum[2 * k + 1];
                a[2 * k] = ar * br - ai * bi;
                a[2 * k + 1] = -(ar * bi + ai * br);
            }
            _fft.Forward(a, work);
            float inv = 1f / _m;
            for (int k = 0; k < _n; k++)
            {
                float yr = a[2 * k] * inv, yi = -a[2 * k + 1] * inv, cr = _chirp[2 * k], ci = _chirp[2 * k + 1];
                data[2 * k] = yr * cr - yi * ci;
                data[2 * k + 1] = yr * ci + yi * cr;
            }
        }
    }
}
