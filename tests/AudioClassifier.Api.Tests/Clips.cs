namespace AudioClassifier.Api.Tests;

/// <summary>Real clips in every format for upload tests (the MP3 is made with lame at test time).</summary>
public static class Clips
{
    private static readonly Lazy<byte[]> LazyMp3 = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("audioclf-mp3-").FullName;
        var wav = Path.Combine(dir, "in.wav");
        var mp3 = Path.Combine(dir, "out.mp3");
        File.Copy(SharedData.Path("reference", "inputs", "us8k-horn-short.wav"), wav);
        ExternalTools.Run("lame", "--quiet", "-b", "128", wav, mp3);
        var bytes = File.ReadAllBytes(mp3);
        Directory.Delete(dir, true);
        return bytes;
    });

    public static byte[] Wav => File.ReadAllBytes(SharedData.Path("reference", "inputs", "us8k-dog-44k-stereo.wav"));

    public static byte[] LongWav => File.ReadAllBytes(SharedData.Path("reference", "inputs", "long-12s.wav"));

    public static byte[] Ogg => File.ReadAllBytes(Directory.GetFiles(SharedData.Path("datasets", "esc10", "009 - Rooster"), "*.ogg").Order().First());

    public static byte[] Mp3 => LazyMp3.Value;
}
