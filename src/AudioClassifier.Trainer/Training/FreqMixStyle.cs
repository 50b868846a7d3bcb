using System.Numerics.Tensors;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// Frequency-wise MixStyle (Kim et al. 2022; CP-JKU's DCASE 2022 acoustic-scene systems): with a probability per batch,
/// every clip's mel bands are standardised over time and given a Beta(α, α) mix of its own and another clip's
/// per-band mean and standard deviation — another recording's microphone, room and level, the content kept. Aimed at
/// recording-level shift between folds (docs/esc10-model.md).
/// </summary>
internal static class FreqMixStyle
{
    private const double Epsilon = 1e-6;

    /// <summary>Mixes the band statistics of the first <paramref name="count"/> windows of <paramref name="buffer"/>
    /// ([count][nMels][frames]) in place; returns whether this batch was mixed.</summary>
    public static bool Apply(Span<float> buffer, int count, int nMels, int frames, double probability, double alpha, Random rng)
    {
        if (probability <= 0 || count < 2 || rng.NextDouble() >= probability)
            return false;
        var mean = new double[count * nMels];
        var deviation = new double[count * nMels];
        for (int i = 0; i < count * nMels; i++)
        {
            var row = buffer.Slice(i * frames, frames);
            double m = TensorPrimitives.Sum<float>(row) / frames, squares = 0;
            foreach (float v in row)
                squares += (v - m) * (v - m);
            mean[i] = m;
            deviation[i] = Math.Sqrt(squares / Math.Max(1, frames - 1) + Epsilon);
        }
        var partner = Enumerable.Range(0, count).OrderBy(_ => rng.Next()).ToArray();
        for (int i = 0; i < count; i++)
        {
            double lambda = BetaSampler.Symmetric(alpha, rng);
            for (int m = 0; m < nMels; m++)
            {
                int own = i * nMels + m, other = partner[i] * nMels + m;
                double mixedMean = lambda * mean[own] + (1 - lambda) * mean[other];
                double scale = (lambda * deviation[own] + (1 - lambda) * deviation[other]) / deviation[own];
                var row = buffer.Slice(own * frames, frames);
                for (int f = 0; f < frames; f++)
                    row[f] = (float)((row[f] - mean[own]) * scale + mixedMean);
            }
        }
        return true;
    }
}
