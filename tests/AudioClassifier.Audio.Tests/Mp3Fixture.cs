namespace AudioClassifier.Audio.Tests;

/// <summary>
/// MP3s made with sox and lame from a real UrbanSound8K clip when the tests start: CBR and VBR, mono and stereo,
/// 22.05/44.1/48 kHz, each beside the exact WAV it was encoded from.
/// </summary>
public sealed class Mp3Fixture : IDisposable
{
    public Mp3Fixture()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "audioclf-mp3-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        var source = SharedData.Path("reference", "inputs", "us8k-dog-44k-stereo.wav");
        foreach (var v in Variants)
        {
            var wav = WavPath(v.Name);
            ExternalTools.Run("sox", source, "-b", "16", "-r", v.Rate.ToString(), "-c", v.Channels.ToString(), wav);
            var args = new List<string> { "--quiet", "--noreplaygain" };
            args.AddRange(v.Vbr ? ["-V", "2"] : ["-b", "128"]);
            args.AddRange(["-m", v.Channels == 1 ? "m" : "j", wav, Mp3Path(v.Name)]);
            ExternalTools.Run("lame", [.. args]);
        }
    }

    public static IReadOnlyList<Mp3Variant> Variants { get; } =
    [
        new("cbr-stereo-44100", 44100, 2, false),
        new("vbr-stereo-44100", 44100, 2, true),
        new("cbr-mono-22050", 22050, 1, false),
        new("vbr-mono-48000", 48000, 1, true),
        new("cbr-stereo-48000", 48000, 2, false),
        new("vbr-stereo-22050", 22050, 2, true),
    ];

    public string Directory { get; }

    public string WavPath(string name) => System.IO.Path.Combine(Directory, name + ".wav");

    public string Mp3Path(string name) => System.IO.Path.Combine(Directory, name + ".mp3");

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public sealed record Mp3Variant(string Name, int Rate, int Channels, bool Vbr);
