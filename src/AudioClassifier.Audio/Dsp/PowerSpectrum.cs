namespace AudioClassifier.Audio.Dsp;

/// <summary>
/// |FFT|² of a real frame for bins 0..n/2. Even lengths use one complex FFT of half the length (the classic
/// packing of even/odd samples into real/imaginary parts); odd lengths fall back to a full-length complex FFT.
/// </summary>
internal sealed class PowerSpectrum
{
    private readonly ComplexFft _fft;
    private readonly float[] _unpackTwiddles; // e^{-2πik/n} for k <= n/2 (even n only)

    public PowerSpectrum(int n)
    {
        N = n;
        bool even = n % 2 == 0;
        _fft = new ComplexFft(even ? n / 2 : n);
        _unpackTwiddles = new float[even ? n + 2 : 0];
        if (even)
        {
            for (int k = 0; k <= n / 2; k++)
            {
                double angle = -2.0 * Math.PI * k / n;
                _unpackTwiddles[2 * k] = (float)Math.Cos(angle);
                _unpackTwiddles[2 * k + 1] = (float)Math.Sin(angle);
            }
        }
    }

    public int N { get; }

    public int Bins => N / 2 + 1;

    /// <summary>Floats of scratch that <see cref="Compute"/> needs.</summary>
    public int ScratchLength => 2 * _fft.Length + _fft.ScratchLength;

    /// <summary>Writes |X_k|² for k = 0..N/2 of the real frame into <paramref name="power"/>.</summary>
    public void Compute(ReadOnlySpan<float> frame, Span<float> power, Span<float> scratch)
    {
        int m = _fft.Length;
        var z = scratch[..(2 * m)];
        var work = scratch[(2 * m)..];
        if (N % 2 == 1)
        {
            for (int i = 0; i < N; i++)
            {
                z[2 * i] = frame[i];
                z[2 * i + 1] = 0;
            }
            _fft.Forward(z, work);
            for (int k = 0; k < Bins; k++)
                power[k] = z[2 * k] * z[2 * k] + z[2 * k + 1] * z[2 * k + 1];
            return;
        }

        frame[..N].CopyTo(z); // interleaving x[2j] + i x[2j+1] is exactly the real frame's memory layout
        _fft.Forward(z, work);
        for (int k = 0; k <= m; k++)
        {
            int a = k == m ? 0 : k, b = k == 0 ? 0 : m - k;
            float zr = z[2 * a], zi = z[2 * a + 1];
            float cr = z[2 * b], ci = -z[2 * b + 1];
            // E = (Z_k + conj Z_{m-k}) / 2 ; O = (Z_k - conj Z_{m-k}) / (2i)
            float er = 0.5f * (zr + cr), ei = 0.5f * (zi + ci);
            float dr = zr - cr, di = zi - ci;
            float or = 0.5f * di, oi = -0.5f * dr;
            float wr = _unpackTwiddles[2 * k], wi = _unpackTwiddles[2 * k + 1];
            float xr = er + (or * wr - oi * wi);
            float xi = ei + (or * wi + oi * wr);
            power[k] = xr * xr + xi * xi;
        }
    }
}
