using System.Diagnostics;
using AudioClassifier.Audio.Decoding;
using Xunit.Abstractions;

namespace AudioClassifier.Audio.Tests;

/// <summary>
/// Deterministic, seeded fuzzing of the decoders with mutations of real clips (bit flips, truncations, spliced
/// headers, huge declared sizes, random bytes): every input must decode or fail with a typed
/// <see cref="AudioDecodeException"/> — never another exception, a hang or unbounded allocation.
/// Set AUDIOCLF_FUZZ_ITERATIONS for a longer run (CI runs the default).
/// </summary>
public class DecoderFuzzTests(Mp3Fixture mp3, ITestOutputHelper output) : IClassFixture<Mp3Fixture>
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("AUDIOCLF_FUZZ_ITERATIONS"), out var n) ? n : 3500;
    private static readonly DecodeOptions Limits = new() { MaxDuration = TimeSpan.FromSeconds(30), MaxInputBytes = 8 * 1024 * 1024 };
    private const long MaxAllocationPerInput = 128L * 1024 * 1024;

    public static TheoryData<string> Formats() => new() { "wav", "mp3", "ogg" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void MutatedClipsFailOnlyWithTypedErrors(string format)
    {
        var seed = format switch
        {
            "wav" => File.ReadAllBytes(SharedData.Path("reference", "inputs", "us8k-horn-short.wav")),
            "mp3" => File.ReadAllBytes(mp3.Mp3Path("cbr-mono-22050")),
            _ => File.ReadAllBytes(Directory.GetFiles(SharedData.Path("datasets", "esc10"), "*.ogg", SearchOption.AllDirectories).Order().First()),
        };
        // A fixed seed per format (string.GetHashCode is randomised per process): a failure reproduces on the next run.
        var rng = new Random(format switch { "wav" => 20261124, "mp3" => 20261125, _ => 20261126 });
        int decoded = 0, refused = 0;
        long maxAllocated = 0;
        var worst = TimeSpan.Zero;
        var kinds = new Dictionary<AudioErrorKind, int>();
        // The intact seed once, untimed: the per-input bound is about a mutated input, not a cold decoder's compilation.
        AudioDecoder.Decode(seed, Limits);
        for (int i = 0; i < Iterations; i++)
        {
            var input = AudioMutator.Mutate(seed, rng, i);
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try
            {
                AudioDecoder.Decode(input, Limits);
                decoded++;
            }
            catch (AudioDecodeException e)
            {
                refused++;
                kinds[e.Kind] = kinds.GetValueOrDefault(e.Kind) + 1;
                // The message reaches the client as the problem's detail: about the data, never a fault inside a
                // decoder ("MP3 data is corrupt: Index was outside the bounds of the array." was one).
                Assert.DoesNotMatch(RuntimeWording, e.Message);
            }
            catch (Exception e)
            {
                var path = Path.Combine(Path.GetTempPath(), $"audioclf-fuzz-{format}-{i}.bin");
                File.WriteAllBytes(path, input);
                throw new Xunit.Sdk.XunitException($"input {i} ({format}) threw {e.GetType().Name}: {e.Message}; saved to {path}{Environment.NewLine}{e}");
            }
            worst = watch.Elapsed > worst ? watch.Elapsed : worst;
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"input {i} took {watch.Elapsed}");
            // Bounded by the limits, not by what a header claims: 8 MiB of input and 30 s of audio at most.
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Assert.True(allocated < MaxAllocationPerInput, $"input {i} allocated {allocated / 1048576} MiB");
            maxAllocated = Math.Max(maxAllocated, allocated);
        }
        output.WriteLine($"{format}: {Iterations} inputs, {decoded} decoded, {refused} refused ({string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}), slowest {worst.TotalMilliseconds:0} ms, most allocated {maxAllocated / 1048576.0:0.0} MiB");
        Assert.Equal(Iterations, decoded + refused);
    }

    private static readonly System.Text.RegularExpressions.Regex RuntimeWording =
        new(@"outside the bounds|Object reference|Arithmetic operation|Specified argument|Value cannot be null|Parameter '|\(Parameter");
}
