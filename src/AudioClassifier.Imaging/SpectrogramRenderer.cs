using AudioClassifier.Audio.Dsp;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Imaging;

/// <summary>
/// Draws a log-mel matrix as a picture a person can read: magma colours, time axis in seconds, mel axis labelled in
/// Hz, a dB colour bar and a title. Low frequencies are at the bottom.
/// </summary>
public static class SpectrogramRenderer
{
    private const int Left = 64, Right = 84, Top = 28, Bottom = 44;
    private static readonly Rgb Axis = new(40, 40, 40);

    /// <summary>Renders <paramref name="mel"/>, computed with <paramref name="spec"/>, under <paramref name="title"/>.</summary>
    public static RgbImage Render(LogMel mel, FeatureSpec spec, string title)
    {
        int sx = Math.Max(1, (int)Math.Ceiling(640.0 / mel.Frames));
        int sy = Math.Max(1, (int)Math.Ceiling(256.0 / mel.NMels));
        int plotW = mel.Frames * sx, plotH = mel.NMels * sy;
        var image = new RgbImage(Left + plotW + Right, Top + plotH + Bottom, Rgb.White);

        float min = mel.Data.Min(), max = mel.Data.Max();
        float range = Math.Max(max - min, 1e-6f);
        for (int m = 0; m < mel.NMels; m++)
        {
            int y = Top + (mel.NMels - 1 - m) * sy;
            for (int t = 0; t < mel.Frames; t++)
                image.FillRect(Left + t * sx, y, sx, sy, ColorMap.Magma((mel[m, t] - min) / range));
        }
        image.Rectangle(Left - 1, Top - 1, plotW + 2, plotH + 2, Axis);

        DrawTimeAxis(image, mel.Frames, spec, sx, plotH);
        DrawFrequencyAxis(image, mel.NMels, spec, sy, plotH);
        DrawColorBar(image, min, max, Left + plotW + 16, plotH);
        image.DrawText(Left, 8, title.Length > 90 ? title[..87] + "..." : title, Axis, 2 - (title.Length > 45 ? 1 : 0));
        return image;
    }

    private static void DrawTimeAxis(RgbImage image, int frames, FeatureSpec spec, int sx, int plotH)
    {
        double seconds = (double)frames * spec.HopLength / spec.SampleRate;
        double step = NiceStep(seconds / 6);
        int y = Top + plotH + 1;
        for (double s = 0; s <= seconds + 1e-9; s += step)
        {
            int x = Left + (int)Math.Round(s * spec.SampleRate / spec.HopLength * sx);
            image.VerticalLine(x, y, y + 4, Axis);
            string label = s.ToString(step < 1 ? "0.0" : "0", System.Globalization.CultureInfo.InvariantCulture);
            image.DrawText(x - BitmapFont.Measure(label) / 2, y + 7, label, Axis);
        }
        const string name = "Time (s)";
        image.DrawText(Left + (frames * sx - BitmapFont.Measure(name)) / 2, y + 22, name, Axis);
    }

    private static void DrawFrequencyAxis(RgbImage image, int nMels, FeatureSpec spec, int sy, int plotH)
    {
        int ticks = 6;
        for (int i = 0; i <= ticks; i++)
        {
            double band = (nMels - 1) * (double)i / ticks;
            double hz = MelScale.BandCenterHz(band, nMels, spec.FMin, spec.FMax);
            int y = Top + plotH - 1 - (int)Math.Round(band * sy + sy / 2.0);
            image.HorizontalLine(Left - 5, Left - 2, y, Axis);
            string label = hz >= 1000 ? $"{hz / 1000:0.#}k" : $"{hz:0}";
            image.DrawText(Left - 8 - BitmapFont.Measure(label), y - 3, label, Axis);
        }
        const string name = "Mel frequency (Hz)";
        image.DrawTextVertical(6, Top + (plotH + BitmapFont.Measure(name)) / 2, name, Axis);
    }

    private static void DrawColorBar(RgbImage image, float min, float max, int x, int plotH)
    {
        for (int y = 0; y < plotH; y++)
            image.FillRect(x, Top + y, 14, 1, ColorMap.Magma(1 - (double)y / Math.Max(1, plotH - 1)));
        image.Rectangle(x - 1, Top - 1, 16, plotH + 2, Axis);
        image.DrawText(x + 19, Top, $"{max:0}", Axis);
        image.DrawText(x + 19, Top + plotH - 7, $"{min:0}", Axis);
        image.DrawText(x + 19, Top + plotH / 2 - 3, "dB", Axis);
    }

    private static double NiceStep(double raw)
    {
        double[] steps = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60];
        return steps.FirstOrDefault(s => s >= raw, 60);
    }
}
