namespace AudioClassifier.Audio.Dsp;

/// <summary>The HTK mel scale used by the filterbank, shared with anything that labels mel axes.</summary>
public static class MelScale
{
    public static double HzToMel(double hz) => 2595.0 * Math.Log10(1.0 + hz / 700.0);

    public static double MelToHz(double mel) => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);

    /// <summary>Centre frequency of mel band <paramref name="band"/> (0-based) of a bank of <paramref name="nMels"/>.</summary>
    public static double BandCenterHz(double band, int nMels, double fMin, double fMax)
    {
        double lo = HzToMel(fMin), hi = HzToMel(fMax);
        return MelToHz(lo + (hi - lo) * (band + 1) / (nMels + 1));
    }
}
