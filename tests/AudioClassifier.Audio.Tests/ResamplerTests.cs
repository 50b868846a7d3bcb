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
    public void AnyRatioPathMatchesTheExactKernel(int from, int to) => AssertPathsAgree(from, to, from / 4);

    // The exact path works through a long clip in chunks of about 2^18 de-interleaved input samples: outputs on
    // both sides of every chunk boundary (and the clip's last, zero-padded outputs) are those of the kernel.
    [Theory]
    [InlineData(44100, 22050, 20.3)]  // orig 2: ~131 000 output blocks per chunk, 4 chunks
    [InlineData(16000, 22050, 41.7)]  // orig 320: 800 blocks (352 800 outputs) per chunk, 3 chunks
    [InlineData(48000, 22050, 12.1)]  // orig 320 the other way: 3 chunks
    public void LongClipsAreResampledInChunksWithTheSameResult(int from, int to, double seconds) =>
        AssertPathsAgree(from, to, (int)(from * seconds));

    private static void AssertPathsAgree(int from, int to, int samples)
    {
        var exact = Resampler.For(from, to);
        Assert.True(exact.IsExact);
        var any = new Resampler(from, to, anyRatio: true);
        Assert.False(any.IsExact);
        var x = Noise(samples, from);
        var a = exact.Process(x);
        var b = any.Process(x);
        Assert.Equal(a.Length, b.Length);
        double worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 1e-6, $"max difference {worst:E2}");
    }

    // What one window of a long clip needs: resampling only InputLengthFor(n) input samples gives the first n outputs
    // bit for bit, across chunk boundaries and on both paths, and that prefix is n outputs' worth plus the kernel's reach.
    [Theory]
    [InlineData(44100, 22050, false)]
    [InlineData(16000, 22050, false)]
    [InlineData(48000, 22050, false)]
    [InlineData(8000, 22050, false)]
    [InlineData(44100, 22050, true)]
    [InlineData(44101, 22050, true)]
    public void APrefixOfTheInputGivesTheFirstOutputsExactly(int from, int to, bool anyRatio)
    {
        var resampler = anyRatio ? new Resampler(from, to, anyRatio: true) : Resampler.For(from, to);
        Assert.Equal(!anyRatio, resampler.IsExact);
        var x = Noise(from * 40, from);
        var whole = resampler.Process(x);
        // The last: the outputs up to one second before the end, which the input's end does not reach.
        foreach (int n in new[] { 1, 441, 110_250, 300_001, (int)resampler.OutputLength(x.Length - from) })
        {
            long needed = resampler.InputLengthFor(n);
            Assert.True(needed < x.Length && needed <= (long)n * from / to + from / 20, $"{needed} input samples for {n} outputs");
            var prefix = resampler.Process(x.AsSpan(0, (int)Math.Min(x.Length, needed)));
            Assert.True(prefix.Length >= n);
            Assert.Equal(whole.AsSpan(0, n).ToArray(), prefix.AsSpan(0, n).ToArray());
        }
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
