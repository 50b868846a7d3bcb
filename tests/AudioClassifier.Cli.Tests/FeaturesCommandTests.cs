using System.Buffers.Binary;
using AudioClassifier.Audio;
using AudioClassifier.Audio.Features;
using AudioClassifier.Audio.IO;

namespace AudioClassifier.Cli.Tests;

/// <summary><c>audioclf features</c> writes the front end's exact matrix, a readable PNG, and clear errors.</summary>
public sealed class FeaturesCommandTests : IDisposable
{
    private static readonly string Rooster = Directory.GetFiles(SharedData.Path("datasets", "esc10", "009 - Rooster"), "*.ogg").Order().First();
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-cli-").FullName;

    [Fact]
    public void WritesTheFrontEndMatrixAsNpy()
    {
        var npy = Path.Combine(_dir, "f.npy");
        var (code, output, error) = CliRunner.Run("features", Rooster, "--out", npy);
        Assert.True(code == 0, error);
        Assert.Contains("[128, 216]", output);
        var (data, shape) = NpyFile.Read(npy);
        Assert.Equal(new[] { 128, 216 }, shape);
        Assert.Equal(new AudioFrontEnd(FeatureSpec.Default).FeaturesFromFile(Rooster).Data, data);
    }

    [Fact]
    public void SeedPresetAndOverridesShapeTheOutput()
    {
        var npy = Path.Combine(_dir, "o.npy");
        var (code, _, error) = CliRunner.Run("features", Rooster, "--out", npy, "--preset", "seed", "--sr", "16000", "--n-fft", "512", "--hop", "160", "--n-mels", "40", "--frames", "100", "--fmin", "20", "--fmax", "7600", "--top-db", "60");
        Assert.True(code == 0, error);
        var (data, shape) = NpyFile.Read(npy);
        Assert.Equal(new[] { 40, 100 }, shape);
        var spec = FeatureSpec.Seed with { SampleRate = 16000, NFft = 512, WinLength = 512, HopLength = 160, NMels = 40, Frames = 100, FMin = 20, FMax = 7600, TopDb = 60 };
        Assert.Equal(new AudioFrontEnd(spec).FeaturesFromFile(Rooster).Data, data);
        Assert.True(data.Max() - data.Min() <= 60.0001);
    }

    [Fact]
    public void WritesAValidPng()
    {
        var png = Path.Combine(_dir, "s.png");
        var (code, _, error) = CliRunner.Run("features", Rooster, "--out", Path.Combine(_dir, "s.npy"), "--png", png);
        Assert.True(code == 0, error);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.True(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)) >= 640);
        Assert.True(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)) >= 256);
    }

    [Theory]
    [InlineData("--hop", "0", "hop_length")]
    [InlineData("--fmax", "20000", "f_max")]
    [InlineData("--preset", "nope", "unknown preset")]
    [InlineData("--top-db", "-5", "top_db")]    // negative and NaN floors once meant "no floor", silently
    [InlineData("--top-db", "NaN", "top_db")]
    [InlineData("--sr", "abc", "abc")]          // does not parse: exit code 2 too, not System.CommandLine's 1
    [InlineData("--no-such-option", "1", "--no-such-option")]
    public void InvalidSettingsExitWithUsageError(string option, string value, string mentions)
    {
        var (code, _, error) = CliRunner.Run("features", Rooster, "--out", Path.Combine(_dir, "x.npy"), option, value);
        Assert.Equal(ExitCodes.InvalidArguments, code);
        Assert.Contains(mentions, error);
    }

    [Fact]
    public void BadAudioExitsWithItsOwnCode()
    {
        var bogus = Path.Combine(_dir, "bogus.wav");
        File.WriteAllText(bogus, "this is not audio");
        var (code, _, error) = CliRunner.Run("features", bogus, "--out", Path.Combine(_dir, "x.npy"));
        Assert.Equal(ExitCodes.BadAudio, code);
        Assert.Contains("UnsupportedFormat", error);
    }

    [Fact]
    public void MissingFileAndMissingOutAreUsageErrors()
    {
        Assert.Equal(ExitCodes.InvalidArguments, CliRunner.Run("features", Path.Combine(_dir, "none.wav"), "--out", "x.npy").ExitCode);
        Assert.NotEqual(0, CliRunner.Run("features", Rooster).ExitCode);
    }

    [Fact]
    public void RunsAsARealProcess()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "audioclf.dll");
        var npy = Path.Combine(_dir, "p.npy");
        var output = ExternalTools.Output("dotnet", dll, "features", Rooster, "--out", npy);
        Assert.Contains("features [128, 216]", output);
        Assert.True(File.Exists(npy));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
