namespace AudioClassifier.Audio.Dsp;

/// <summary>
/// torchaudio's <c>melscale_fbanks</c> with the HTK scale and no normalisation, stored sparsely: each band keeps only
/// the contiguous bins where its triangle is non-zero, so applying it costs the number of non-zero weights.
/// </summary>
internal sealed class MelFilterBank
{
    private readonly int[] _start;
    private readonly float[][] _weights;

    public MelFilterBank(int nFreqs, double fMin, double fMax, int nMels, int sampleRate)
    {
        NMels = nMels;
        var allFreqs = new double[nFreqs];
        double top = sampleRate / 2; // torchaudio: linspace(0, sample_rate // 2, n_freqs)
        for (int i = 0; i < nFreqs; i++)
            allFreqs[i] = nFreqs == 1 ? 0 : top * i / (nFreqs - 1);
        double mMin = MelScale.HzToMel(fMin), mMax = MelScale.HzToMel(fMax);
        var fPts = new double[nMels + 2];
        for (int i = 0; i < fPts.Length; i++)
            fPts[i] = MelScale.MelToHz(mMin + (mMax - mMin) * i / (nMels + 1));

        _start = new int[nMels];
        _weights = new float[nMels][];
        var row = new double[nFreqs];
        for (int m = 0; m < nMels; m++)
        {
            double lowDiff = fPts[m + 1] - fPts[m], highDiff = fPts[m + 2] - fPts[m + 1];
            int first = -1, last = -1;
            for (int k = 0; k < nFreqs; k++)
            {
                double down = (allFreqs[k] - fPts[m]) / lowDiff;
                double up = (fPts[m + 2] - allFreqs[k]) / highDiff;
                row[k] = Math.Max(0, Math.Min(down, up));
                if (row[k] > 0)
                {
                    if (first < 0)
                        first = k;
                    last = k;
                }
            }
            _start[m] = Math.Max(first, 0);
            _weights[m] = first < 0 ? [] : row.AsSpan(first, last - first + 1).ToArray().Select(w => (float)w).ToArray();
        }
    }

    public int NMels { get; }

    /// <summary>Mel energies of a batch of power spectra, one frame per SIMD lane.</summary>
    public void Apply(ReadOnlySpan<System.Numerics.Vector<float>> power, Span<System.Numerics.Vector<float>> mel)
    {
        for (int m = 0; m < NMels; m++)
        {
            var w = _weights[m];
            var p = power.Slice(_start[m], w.Length);
            var sum = System.Numerics.Vector<float>.Zero;
            for (int i = 0; i < w.Length; i++)
                sum += new System.Numerics.Vector<float>(w[i]) * p[i];
            mel[m] = sum;
        }
    }

    /// <summary>Mel energies of one power spectrum.</summary>
    public void Apply(ReadOnlySpan<float> power, Span<float> mel)
    {
        for (int m = 0; m < NMels; m++)
        {
            var w = _weights[m];
            var p = power.Slice(_start[m], w.Length);
            float sum = 0;
            for (int i = 0; i < w.Length; i++)
                sum += w[i] * p[i];
            mel[m] = sum;
        }
    }
}
