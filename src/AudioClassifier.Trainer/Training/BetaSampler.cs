namespace AudioClassifier.Trainer.Training;

/// <summary>Beta(α, α) draws from a seeded <see cref="Random"/> (mixup's λ, frequency MixStyle's weights), so that
/// training stays reproducible for a seed.</summary>
internal static class BetaSampler
{
    /// <summary>A draw of Beta(α, α) as X / (X + Y) with X, Y ~ Gamma(α, 1).</summary>
    public static double Symmetric(double alpha, Random rng)
    {
        double a = Gamma(alpha, rng), c = Gamma(alpha, rng);
        return a / (a + c);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia–Tsang (with the shape &lt; 1 boost).</summary>
    public static double Gamma(double shape, Random rng)
    {
        if (shape < 1)
            return Gamma(shape + 1, rng) * Math.Pow(rng.NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                x = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            double u = rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
                return d * v;
        }
    }
}
