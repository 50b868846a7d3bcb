namespace AudioClassifier.Imaging;

/// <summary>Perceptually uniform colour maps (polynomial fits of matplotlib's viridis and magma).</summary>
public static class ColorMap
{
    /// <summary>viridis at t in [0, 1].</summary>
    public static Rgb Viridis(double t) => Poly(Math.Clamp(t, 0, 1),
        [0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486, 6.228269936347081, 4.776384997670288, -5.435455855934631],
        [0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585, 14.17993336680509, -13.74514537774601, 4.645852612178535],
        [0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987, 56.69055260068105, -65.35303263337234, 26.3124352495832]);

    /// <summary>magma at t in [0, 1].</summary>
    public static Rgb Magma(double t) => Poly(Math.Clamp(t, 0, 1),
        [-0.002136485053939582, 0.2516605407371642, 8.353717279216625, -27.66873308576866, 52.17613981234068, -50.76852536473588, 18.65570506591883],
        [-0.000749655052795221, 0.6775232436837668, -3.577719514958484, 14.26473078096533, -27.94360607168351, 29.04658282127291, -11.48977351997516],
        [-0.005386127855323933, 2.494026599312351, 0.3144679030132573, -13.64921318813922, 12.94416944238394, 4.23415299384598, -5.601961508734096]);

    private static Rgb Poly(double t, double[] r, double[] g, double[] b) => new(Channel(t, r), Channel(t, g), Channel(t, b));

    private static byte Channel(double t, double[] c)
    {
        double v = 0;
        for (int i = c.Length - 1; i >= 0; i--)
            v = v * t + c[i];
        return (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
    }
}
