using AudioClassifier.Audio.Dsp;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Audio.Tests;

/// <summary>The FFT, power spectrum and resampler against direct definitions.</summary>
public class DspTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(12)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(97)]
    [InlineData(200)]
    [InlineData(1000)]
    [InlineData(1024)]
    public void ComplexFftMatchesDirectDft(int n)
    {
        var rng = new Random(n);
        var x = new float[2 * n];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(rng.NextDouble() * 2 - 1);
        var expected = Dft(x, n);
        var fft = new ComplexFft(n);
        var data = x.ToArray();
        fft.Forward(data, new float[fft.ScratchLength]);
        double scale = Math.Sqrt(n);
        for (int i = 0; i < data.Length; i++)
            Assert.True(Math.Abs(data[i] - expected[i]) < 1e-4 * scale, $"n={n} index {i}: {data[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(400)]
    [InlineData(2048)]
    [InlineData(401)]
    [InlineData(2 * 61)]
    public void PowerSpectrumMatchesDirectDft(int n)
    {
        var rng = new Random(n);
        var frame = new float[n];
        for (int i = 0; i < n; i++)
            frame[i] = (float)(rng.NextDouble() * 2 - 1);
        var complex = new float[2 * n];
        for (int i = 0; i < n; i++)
            complex[2 * i] = frame[i];
        var dft = Dft(complex, n);
        var ps = new PowerSpectrum(n);
        var power = new float[ps.Bins];
        ps.Compute(frame, power, new float[ps.ScratchLength]);
        for (int k = 0; k < ps.Bins; k++)
        {
            double expected = dft[2 * k] * dft[2 * k] + dft[2 * k + 1] * dft[2 * k + 1];
            Assert.True(Math.Abs(power[k] - expected) < 1e-3 * (1 + expected), $"n={n} bin {k}: {power[k]} vs {expected}");
        }
    }

    [Theory]
    [InlineData(44100, 22050, 220500)]
    [InlineData(48000, 22050, 1001)]
    [InlineData(8000, 22050, 333)]
    [InlineData(16000, 16000, 10)]
    public void ResampledLengthIsCeilOfRatio(int from, int to, int length)
    {
        var output = Resampler.Resample(new float[length], from, to);
        Assert.Equal((long)Math.Ceiling((double)to * length / from), output.Length);
    }

    [Fact]
    public void ResamplingKeepsAToneBelowNyquistAndRemovesOneAbove()
    {
        const int from = 48000, to = 16000;
        float[] Tone(double hz) => Enumerable.Range(0, from).Select(i => (float)Math.Sin(2 * Math.PI * hz * i / from)).ToArray();
        double Rms(float[] x) => Math.Sqrt(x.Skip(1000).Take(x.Length - 2000).Average(v => (double)v * v));
        Assert.InRange(Rms(Resampler.Resample(Tone(1000), from, to)), 0.70, 0.71);
        // torchaudio's width-6 Hann sinc has a wide transition band: measured -16.8 dB at 9 kHz, -45 dB at 10 kHz.
        Assert.True(Rms(Resampler.Resample(Tone(10000), from, to)) < 0.01 * 0.7071);
    }

    [Fact]
    public void ShortClipsArePaddedWithExactZerosAndTinyClipsStillWork()
    {
        var spec = FeatureSpec.Default;
        var extractor = LogMelExtractor.For(spec);
        var mel = extractor.Compute(new float[] { 0.5f, -0.5f, 0.25f });
        // A clip shorter than n_fft/2 is extended with silence to n_fft/2+1 samples before reflect padding.
        int natural = extractor.NaturalFrames(spec.NFft / 2 + 1);
        Assert.Equal(spec.NMels * spec.Frames, mel.Data.Length);
        Assert.All(Enumerable.Range(0, natural), t => Assert.NotEqual(0f, mel[0, t]));
        Assert.All(Enumerable.Range(natural, spec.Frames - natural), t => Assert.Equal(0f, mel[0, t]));
    }

    private static double[] Dft(float[] x, int n)
    {
        var y = new double[2 * n];
        for (int k = 0; k < n; k++)
        {
            double re = 0, im = 0;
            for (int j = 0; j < n; j++)
            {
                double a = -2 * Math.PI * ((long)j * k % n) / n;
                re += x[2 * j] * Math.Cos(a) - x[2 * j + 1] * Math.Sin(a);
                im += x[2 * j] * Math.Sin(a) + x[2 * j + 1] * Math.Cos(a);
            }
            y[2 * k] = re;
            y[2 * k + 1] = im;
        }
        return y;
    }
}
