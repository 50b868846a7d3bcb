using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Calibration;

/// <summary>
/// Fits the open-set calibration of a model from its uncalibrated probabilities: the temperature that minimises the
/// in-domain clips' negative log-likelihood (golden-section search on log T), then the threshold on the open-set score
/// (the best calibrated probability, or the training similarity) that rejects at most <see cref="InDomainRejection"/>
/// of the in-domain clips; and measures what a calibration does on other clips (rejection rates, AUROC, expected
/// calibration error).
/// </summary>
public static class OpenSetFitter
{
    /// <summary>The share of in-domain clips the threshold may reject on the clips it is fitted on.</summary>
    public const double InDomainRejection = 0.04;

    /// <summary>A clip's uncalibrated probabilities (the mean over its sounding windows), its training similarity (null
    /// when the model has none), for an in-domain clip its true class (else -1), and each sounding window's own
    /// probabilities when it has more than one window.</summary>
    public sealed record Scored(string Path, float[] Probabilities, int Label, double? Similarity = null, IReadOnlyList<float[]>? Windows = null)
    {
        /// <summary>The open-set score at <paramref name="temperature"/>: the training similarity when there is one,
        /// else the best calibrated probability.</summary>
        public double OpenSetScore(double temperature) => Similarity ?? Score(this, temperature);
    }

    /// <summary>The temperature and the threshold on <see cref="Scored.OpenSetScore"/>.</summary>
    public static (double Temperature, double Threshold) Fit(IReadOnlyList<Scored> inDomain)
    {
        double temperature = FitTemperature(inDomain);
        return (temperature, FitThreshold(inDomain.Select(c => c.OpenSetScore(temperature)).ToList()));
    }

    /// <summary>The largest threshold that rejects at most <see cref="InDomainRejection"/> of these in-domain scores.</summary>
    public static double FitThreshold(IReadOnlyList<double> inDomainScores)
    {
        var scores = inDomainScores.Order().ToArray();
        int rejectable = (int)Math.Floor(InDomainRejection * scores.Length);
        return Math.Round(Math.Clamp(scores[rejectable] - 1e-6, -1, 1), 6);
    }

    /// <summary>The temperature minimising the clips' negative log-likelihood.</summary>
    public static double FitTemperature(IReadOnlyList<Scored> inDomain)
    {
        double lo = Math.Log(0.05), hi = Math.Log(20), phi = (Math.Sqrt(5) - 1) / 2;
        double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
        double fa = Nll(inDomain, Math.Exp(a)), fb = Nll(inDomain, Math.Exp(b));
        for (int i = 0; i < 60; i++)
        {
            if (fa < fb)
            {
                (hi, b, fb) = (b, a, fa);
                a = hi - phi * (hi - lo);
                fa = Nll(inDomain, Math.Exp(a));
            }
            else
            {
                (lo, a, fa) = (a, b, fb);
                b = lo + phi * (hi - lo);
                fb = Nll(inDomain, Math.Exp(b));
            }
        }
        return Math.Round(Math.Exp((lo + hi) / 2), 4);
    }

    /// <summary>The best calibrated probability of a clip: as the service decides it, the mean over its sounding windows
    /// of each window's best (for one window, the best of the clip's calibrated probabilities).</summary>
    public static double Score(Scored clip, double temperature) => clip.Windows is { Count: > 1 } windows
        ? windows.Average(w => (double)Calibrated(w, temperature).Max())
        : Calibrated(clip, temperature).Max();

    /// <summary>The label the service's answer names for a clip: the best of the mean over its sounding windows of each
    /// window's calibrated probabilities (for one window, the best of the clip's calibrated probabilities).</summary>
    public static int Predicted(Scored clip, double temperature)
    {
        if (clip.Windows is not { Count: > 1 } windows)
        {
            var p = Calibrated(clip, temperature);
            return Array.IndexOf(p, p.Max());
        }
        var sum = new double[clip.Probabilities.Length];   // each window calibrated once, then summed
        foreach (var w in windows)
        {
            var p = Calibrated(w, temperature);
            for (int c = 0; c < sum.Length; c++)
                sum[c] += p[c];
        }
        return Array.IndexOf(sum, sum.Max());
    }

    private static float[] Calibrated(float[] probabilities, double temperature)
    {
        var p = (float[])probabilities.Clone();
        AudioClassifierEngine.Calibrate(p, p.Length, temperature);
        return p;
    }

    public static float[] Calibrated(Scored clip, double temperature) => Calibrated(clip.Probabilities, temperature);

    private static double Nll(IReadOnlyList<Scored> clips, double temperature) =>
        clips.Average(c => -Math.Log(Math.Max(Calibrated(c, temperature)[c.Label], 1e-12)));

    /// <summary>Area under the ROC curve of in-domain (positive) against out-of-domain scores: the chance that a random
    /// in-domain clip scores above a random out-of-domain one (ties count half).</summary>
    public static double Auroc(IReadOnlyList<double> inDomain, IReadOnlyList<double> outOfDomain)
    {
        var ood = outOfDomain.Order().ToArray();
        double wins = 0;
        foreach (var s in inDomain)
        {
            int below = LowerBound(ood, s), notAbove = UpperBound(ood, s);
            wins += below + 0.5 * (notAbove - below);
        }
        return wins / ((double)inDomain.Count * ood.Length);
    }

    /// <summary>Expected calibration error over 15 equal-width confidence bins (top-1 confidence against accuracy).</summary>
    public static double Ece(IReadOnlyList<Scored> inDomain, double temperature)
    {
        var rows = inDomain.Select(c =>
        {
            var p = Calibrated(c, temperature);
            int best = Array.IndexOf(p, p.Max());
            return (Confidence: (double)p[best], Correct: best == c.Label ? 1.0 : 0.0);
        }).ToList();
        double ece = 0;
        for (int b = 0; b < 15; b++)
        {
            var bin = rows.Where(r => r.Confidence > b / 15.0 && r.Confidence <= (b + 1) / 15.0).ToList();
            if (bin.Count > 0)
                ece += bin.Count / (double)rows.Count * Math.Abs(bin.Average(r => r.Confidence) - bin.Average(r => r.Correct));
        }
        return ece;
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (sorted[mid] < value)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    private static int UpperBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (sorted[mid] <= value)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
