using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Features;
using Xunit.Abstractions;

namespace AudioClassifier.Audio.Tests;

/// <summary>
/// Structure-aware fuzzing of the whole front end (decode, resample, log-mel) with well-formed headers whose fields
/// take adversarial values (<see cref="StructuredAudioFuzzer"/>): every input decodes or fails with a typed
/// <see cref="AudioDecodeException"/>, and each stays within a CPU-time and an allocation budget — the budget a
/// 244-byte WAV declaring 767 999 Hz used to blow by 23 s. Seeds are fixed per format; AUDIOCLF_FUZZ_ITERATIONS sets
/// a longer run (docs/reliability.md).
/// </summary>
public sealed class StructuredFuzzTests(ITestOutputHelper output)
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("AUDIOCLF_FUZZ_ITERATIONS"), out var n) ? n : 400;
    private static readonly DecodeOptions Limits = new() { MaxDuration = TimeSpan.FromSeconds(600), MaxInputBytes = 8 * 1024 * 1024 };

    /// <summary>CPU time one input may use, decode to features: a fixed part plus a part per second of decoded audio
    /// (a small file may legitimately decode to minutes, e.g. an Ogg stream relabelled 1 kHz; the duration limit
    /// bounds that, never a header's size or rate).</summary>
    private static TimeSpan CpuBudget(double seconds) => TimeSpan.FromMilliseconds(500 + 5 * seconds);

    /// <summary>Bytes one input may allocate, decode to features: fixed plus per second of decoded audio (the mono
    /// samples at their own and at the model's rate and the features, about 0.3 MB a second, plus the decoder's
    /// interleaved output, which grows with the channel count). The fixed part covers a Vorbis stream declaring the
    /// largest block sizes the specification allows (8192): 14 MiB for a 13 KB clip.</summary>
    private static long AllocationBudget(double seconds, int channels) => (long)((16 + (0.6 + 0.4 * channels) * seconds) * 1024 * 1024);

    [Theory]
    [InlineData("wav", 1501)]
    [InlineData("mp3", 1502)]
    [InlineData("ogg", 1503)]
    public void AdversarialHeadersStayWithinTheirCpuAndAllocationBudget(string format, int seed)
    {
        var frontEnd = new AudioFrontEnd(FeatureSpec.Default, Limits);
        var rng = new Random(seed);
        // Ogg inputs rewrite the identification header of a real ESC-10 clip (half of them) or are synthetic.
        var oggSeed = File.ReadAllBytes(Directory.GetFiles(SharedData.Path("datasets", "esc10"), "*.ogg", SearchOption.AllDirectories).Order().First());
        int decoded = 0, refused = 0;
        var worstCpu = TimeSpan.Zero;
        long worstAllocated = 0;
        double longest = 0;
        var kinds = new Dictionary<AudioErrorKind, int>();
        // One untimed pass first, so that JIT compilation is not charged to the first inputs.
        Run(frontEnd, StructuredAudioFuzzer.Next(format, new Random(seed)));
        for (int i = 0; i < Iterations; i++)
        {
            var input = StructuredAudioFuzzer.Next(format, rng, i % 2 == 0 ? oggSeed : null);
            var cpuBefore = ThreadCpuTime.Now();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            double seconds = 0;
            int channels = 1;
            try
            {
                (var kind, seconds, channels) = Run(frontEnd, input);
                if (kind is { } k)
                {
                    refused++;
                    kinds[k] = kinds.GetValueOrDefault(k) + 1;
                }
                else
                {
                    decoded++;
                }
            }
            catch (Exception e)
            {
                var path = Path.Combine(Path.GetTempPath(), $"audioclf-structured-{format}-{i}.bin");
                File.WriteAllBytes(path, input);
                throw new Xunit.Sdk.XunitException($"input {i} ({format}, seed {seed}) threw {e.GetType().Name}: {e.Message}; saved to {path}{Environment.NewLine}{e}");
            }
            var cpu = ThreadCpuTime.Now() - cpuBefore;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            if (cpu >= CpuBudget(seconds) || allocated >= AllocationBudget(seconds, channels))
            {
                var path = Path.Combine(Path.GetTempPath(), $"audioclf-structured-{format}-{i}.bin");
                File.WriteAllBytes(path, input);
                Assert.Fail($"input {i} ({format}, seed {seed}, {input.Length} bytes, {seconds:0.0} s of {channels}-channel audio) used {cpu.TotalMilliseconds:0} ms of CPU and allocated {allocated / 1048576.0:0.0} MiB; saved to {path}");
            }
            worstCpu = cpu > worstCpu ? cpu : worstCpu;
            worstAllocated = Math.Max(worstAllocated, allocated);
            longest = Math.Max(longest, seconds);
        }
        output.WriteLine($"{format}: {Iterations} inputs, {decoded} decoded to features, {refused} refused ({string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}), most CPU {worstCpu.TotalMilliseconds:0.0} ms, most allocated {worstAllocated / 1048576.0:0.00} MiB, longest decoded {longest:0.0} s");
        Assert.Equal(Iterations, decoded + refused);
    }

    // Decode, resample and compute features: the kind of a typed refusal (null when features came out) and the
    // decoded duration.
    private static (AudioErrorKind? Kind, double Seconds, int Channels) Run(AudioFrontEnd frontEnd, byte[] input)
    {
        try
        {
            var clip = frontEnd.Decode(new MemoryStream(input, writable: false));
            frontEnd.Features(clip);
            return (null, clip.Duration.TotalSeconds, clip.SourceChannels);
        }
        catch (AudioDecodeException e)
        {
            return (e.Kind, 0, 1);
        }
    }
}
