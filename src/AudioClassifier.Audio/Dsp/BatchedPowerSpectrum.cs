using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AudioClassifier.Audio.Dsp;

/// <summary>
/// |FFT|² of <see cref="Lanes"/> real frames at once: each SIMD lane carries a different frame through the same
/// mixed-radix Stockham FFT (half-length complex transform plus the real-input unpack), so every arithmetic step is
/// a full-width vector operation while each lane's arithmetic is exactly the scalar algorithm's. Available for even
/// lengths whose half has no prime factor above 13; <see cref="TryCreate"/> returns null otherwise.
/// </summary>
internal sealed class BatchedPowerSpectrum
{
    private const int MaxRadix = 13;
    private readonly int _m;
    private readonly Stage[] _stages;
    private readonly float[] _unpackRe;
    private readonly float[] _unpackIm;

    private BatchedPowerSpectrum(int n, List<int> radices)
    {
        _m = n / 2;
        _stages = new Stage[radices.Count];
        int ns = 1;
        for (int s = 0; s < radices.Count; s++)
        {
            _stages[s] = new Stage(radices[s], ns);
            ns *= radices[s];
        }
        _unpackRe = new float[_m + 1];
        _unpackIm = new float[_m + 1];
        for (int k = 0; k <= _m; k++)
        {
            double angle = -2.0 * Math.PI * k / n;
            _unpackRe[k] = (float)Math.Cos(angle);
            _unpackIm[k] = (float)Math.Sin(angle);
        }
    }

    /// <summary>Frames processed per call.</summary>
    public static int Lanes => Vector<float>.Count;

    /// <summary>Complex points of the inner FFT (n/2); the caller packs x[2i] into re[i] and x[2i+1] into im[i].</summary>
    public int HalfLength => _m;

    public static BatchedPowerSpectrum? TryCreate(int n)
    {
        if (n % 2 != 0 || n < 4 || !Vector.IsHardwareAccelerated)
            return null;
        var radices = ComplexFft.Factorize(n / 2);
        return radices.Count == 0 || radices.Max() > MaxRadix ? null : new BatchedPowerSpectrum(n, radices);
    }

    /// <summary>
    /// Transforms packed frames held in <paramref name="re"/>/<paramref name="im"/> (n/2 vectors each) and writes
    /// n/2+1 power vectors. <paramref name="workRe"/> and <paramref name="workIm"/> need n/2 vectors each.
    /// </summary>
    public void Compute(Span<Vector<float>> re, Span<Vector<float>> im, Span<Vector<float>> workRe, Span<Vector<float>> workIm, Span<Vector<float>> power)
    {
        Span<Vector<float>> sRe = re, sIm = im, dRe = workRe, dIm = workIm;
        foreach (var stage in _stages)
        {
            stage.Run(sRe, sIm, dRe, dIm, _m);
            var t = sRe; sRe = dRe; dRe = t;
            t = sIm; sIm = dIm; dIm = t;
        }
        var half = new Vector<float>(0.5f);
        for (int k = 0; k <= _m; k++)
        {
            int a = k == _m ? 0 : k, b = k == 0 ? 0 : _m - k;
            var zr = sRe[a]; var zi = sIm[a];
            var cr = sRe[b]; var ci = -sIm[b];
            var er = half * (zr + cr); var ei = half * (zi + ci);
            var or = half * (zi - ci); var oi = -half * (zr - cr);
            var wr = new Vector<float>(_unpackRe[k]); var wi = new Vector<float>(_unpackIm[k]);
            var xr = er + (or * wr - oi * wi);
            var xi = ei + (or * wi + oi * wr);
            power[k] = xr * xr + xi * xi;
        }
    }

    /// <summary>One Stockham pass of radix r after ns points have been combined.</summary>
    private sealed class Stage
    {
        private readonly int _r;
        private readonly int _ns;
        private readonly float[] _twRe; // [jm * r + q] = e^{-2πi·jm·q/(ns·r)}
        private readonly float[] _twIm;
        private readonly float[] _rootRe; // [k * r + q] = e^{-2πi·k·q/r}, for generic radices
        private readonly float[] _rootIm;

        public Stage(int r, int ns)
        {
            _r = r;
            _ns = ns;
            _twRe = new float[ns * r];
            _twIm = new float[ns * r];
            for (int jm = 0; jm < ns; jm++)
            {
                for (int q = 0; q < r; q++)
                {
                    double angle = -2.0 * Math.PI * jm * q / (ns * r);
                    _twRe[jm * r + q] = (float)Math.Cos(angle);
                    _twIm[jm * r + q] = (float)Math.Sin(angle);
                }
            }
            _rootRe = new float[r * r];
            _rootIm = new float[r * r];
            for (int k = 0; k < r; k++)
            {
                for (int q = 0; q < r; q++)
                {
                    double angle = -2.0 * Math.PI * ((long)k * q % r) / r;
                    _rootRe[k * r + q] = (float)Math.Cos(angle);
                    _rootIm[k * r + q] = (float)Math.Sin(angle);
                }
            }
        }

        public void Run(Span<Vector<float>> sRe, Span<Vector<float>> sIm, Span<Vector<float>> dRe, Span<Vector<float>> dIm, int n)
        {
            if (_r == 4)
            {
                Radix4(sRe, sIm, dRe, dIm, n);
                return;
            }
            int r = _r, ns = _ns, stride = n / r;
            Span<Vector<float>> vr = stackalloc Vector<float>[r];
            Span<Vector<float>> vi = stackalloc Vector<float>[r];
            for (int jm = 0; jm < ns; jm++)
            {
                for (int j = jm; j < stride; j += ns)
                {
                    for (int q = 0; q < r; q++)
                    {
                        var xr = sRe[j + q * stride];
                        var xi = sIm[j + q * stride];
                        if (jm == 0 || q == 0)
                        {
                            vr[q] = xr;
                            vi[q] = xi;
                        }
                        else
                        {
                            var wr = new Vector<float>(_twRe[jm * r + q]);
                            var wi = new Vector<float>(_twIm[jm * r + q]);
                            vr[q] = xr * wr - xi * wi;
                            vi[q] = xr * wi + xi * wr;
                        }
                    }
                    Butterfly(vr, vi);
                    int di = (j - jm) * r + jm;
                    for (int q = 0; q < r; q++)
                    {
                        dRe[di + q * ns] = vr[q];
                        dIm[di + q * ns] = vi[q];
                    }
                }
            }
        }

        /// <summary>The radix-4 pass with its twiddles held in registers across each run of butterflies.</summary>
        /// <remarks>Indices stay below n by construction (j &lt; n/4, o + 3·ns &lt; n), so refs replace checked indexing.</remarks>
        private void Radix4(Span<Vector<float>> sRe, Span<Vector<float>> sIm, Span<Vector<float>> dRe, Span<Vector<float>> dIm, int n)
        {
            if (sRe.Length < n || sIm.Length < n || dRe.Length < n || dIm.Length < n)
                throw new ArgumentException("FFT buffers are shorter than the transform.");
            int ns = _ns, stride = n / 4;
            ref var sr = ref MemoryMarshal.GetReference(sRe);
            ref var si = ref MemoryMarshal.GetReference(sIm);
            ref var dr0 = ref MemoryMarshal.GetReference(dRe);
            ref var di0 = ref MemoryMarshal.GetReference(dIm);
            for (int jm = 0; jm < ns; jm++)
            {
                var w1r = new Vector<float>(_twRe[jm * 4 + 1]); var w1i = new Vector<float>(_twIm[jm * 4 + 1]);
                var w2r = new Vector<float>(_twRe[jm * 4 + 2]); var w2i = new Vector<float>(_twIm[jm * 4 + 2]);
                var w3r = new Vector<float>(_twRe[jm * 4 + 3]); var w3i = new Vector<float>(_twIm[jm * 4 + 3]);
                for (int j = jm; j < stride; j += ns)
                {
                    var ar = Unsafe.Add(ref sr, j); var ai = Unsafe.Add(ref si, j);
                    var xr = Unsafe.Add(ref sr, j + stride); var xi = Unsafe.Add(ref si, j + stride);
                    var br = xr * w1r - xi * w1i; var bi = xr * w1i + xi * w1r;
                    xr = Unsafe.Add(ref sr, j + 2 * stride); xi = Unsafe.Add(ref si, j + 2 * stride);
                    var cr = xr * w2r - xi * w2i; var ci = xr * w2i + xi * w2r;
                    xr = Unsafe.Add(ref sr, j + 3 * stride); xi = Unsafe.Add(ref si, j + 3 * stride);
                    var dr = xr * w3r - xi * w3i; var di = xr * w3i + xi * w3r;

                    var t0r = ar + cr; var t0i = ai + ci;
                    var t1r = ar - cr; var t1i = ai - ci;
                    var t2r = br + dr; var t2i = bi + di;
                    var t3r = br - dr; var t3i = bi - di;
                    int o = (j - jm) * 4 + jm;
                    Unsafe.Add(ref dr0, o) = t0r + t2r; Unsafe.Add(ref di0, o) = t0i + t2i;
                    Unsafe.Add(ref dr0, o + ns) = t1r + t3i; Unsafe.Add(ref di0, o + ns) = t1i - t3r;
                    Unsafe.Add(ref dr0, o + 2 * ns) = t0r - t2r; Unsafe.Add(ref di0, o + 2 * ns) = t0i - t2i;
                    Unsafe.Add(ref dr0, o + 3 * ns) = t1r - t3i; Unsafe.Add(ref di0, o + 3 * ns) = t1i + t3r;
                }
            }
        }

        private void Butterfly(Span<Vector<float>> re, Span<Vector<float>> im)
        {
            switch (_r)
            {
                case 2:
                {
                    var (ar, ai, br, bi) = (re[0], im[0], re[1], im[1]);
                    re[0] = ar + br; im[0] = ai + bi; re[1] = ar - br; im[1] = ai - bi;
                    return;
                }
                case 4:
                {
                    var t0r = re[0] + re[2]; var t0i = im[0] + im[2];
                    var t1r = re[0] - re[2]; var t1i = im[0] - im[2];
                    var t2r = re[1] + re[3]; var t2i = im[1] + im[3];
                    var t3r = re[1] - re[3]; var t3i = im[1] - im[3];
                    re[0] = t0r + t2r; im[0] = t0i + t2i;
                    re[2] = t0r - t2r; im[2] = t0i - t2i;
                    re[1] = t1r + t3i; im[1] = t1i - t3r;
                    re[3] = t1r - t3i; im[3] = t1i + t3r;
                    return;
                }
                default:
                    Generic(re, im);
                    return;
            }
        }

        private void Generic(Span<Vector<float>> re, Span<Vector<float>> im)
        {
            int r = _r;
            Span<Vector<float>> or = stackalloc Vector<float>[r];
            Span<Vector<float>> oi = stackalloc Vector<float>[r];
            for (int k = 0; k < r; k++)
            {
                Vector<float> sr = re[0], si = im[0];
                for (int q = 1; q < r; q++)
                {
                    var c = new Vector<float>(_rootRe[k * r + q]);
                    var s = new Vector<float>(_rootIm[k * r + q]);
                    sr += re[q] * c - im[q] * s;
                    si += re[q] * s + im[q] * c;
                }
                or[k] = sr;
                oi[k] = si;
            }
            or.CopyTo(re);
            oi.CopyTo(im);
        }
    }
}
