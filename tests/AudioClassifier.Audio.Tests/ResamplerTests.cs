using AudioClassifier.Audio.Dsp;

namespace AudioClassifier.Audio.Tests;

/// <summary>
/// Resampling at any rate from 1 kHz up costs a bounded amount: the usual rates keep torchaudio's exact kernel, odd
/// rates take the any-ratio path with the same kernel, and the kernel cache stays under its byte cap.
/// </summary>
public sealed class ResamplerTests
{
    private static float[] Noise(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(8000, 22050)]
    [InlineData(44100, 22050)]
    [InlineData(48000, 22050)]
    [InlineData(96000, 22050)]
    [InlineData(8001, 22050)]   // gcd 63: still small enough for the exact kernel
    [InlineData(22050, 16000)]
    public void AnyRatioPathMatchesTheExactKernel(int from, int to)
    {
        var exact = Resampler.For(from, to);
        Assert.True(exact.IsExact);
        var any = new Resampler(from, to, anyRatio: true);
        Assert.False(any.IsExact);
        var x = Noise(from / 4, from);
        var a = exact.Process(x);
        var b = any.Process(x);
        Assert.Equal(a.Length, b.Length);
        double worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 1e-6, $"max difference {worst:E2}");
    }

    [Fact]
    public void EveryCommonRateKeepsTorchaudiosExactKernel()
    {
        foreach (int rate in new[] { 8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000, 384000 })
        foreach (int model in new[] { 8000, 16000, 22050, 32000, 44100 })
            Assert.True(rate == model || Resampler.For(rate, model).IsExact, $"{rate} -> {model}");
    }

    [Fact]
    public void OddRatesTakeTheBoundedPathAndTheCacheStaysUnderItsCap()
    {
        var rng = new Random(15);
        for (int i = 0; i < 200; i++)
        {
            int rate = rng.Next(1_000, 768_001);
            var r = Resampler.For(rate, 22050);
            var y = r.Process(Noise(200, i));
            Assert.Equal((int)r.OutputLength(200), y.Length);
            Assert.All(y, v => Assert.True(float.IsFinite(v)));
            Assert.True(Resampler.CachedKernelBytes <= Resampler.CacheCapacityBytes, $"{Resampler.CachedKernelBytes} bytes cached");
        }
        Assert.False(Resampler.For(767_999, 22050).IsExact);   // the 23 s kernel of the original report
        Assert.False(Resampler.For(44_101, 22050).IsExact);
    }
}
