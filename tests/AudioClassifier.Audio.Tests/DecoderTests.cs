using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Features;
using Xunit.Abstractions;

namespace AudioClassifier.Audio.Tests;

/// <summary>Real clips of every supported format decode to the expected rate, length and level.</summary>
public class DecoderTests(Mp3Fixture mp3, ITestOutputHelper output) : IClassFixture<Mp3Fixture>
{
    /// <summary>
    /// Mean |ΔdB| between an MP3 and its source WAV (default spec, bins within 80 dB of the max), measured with lame
    /// 3.100 on a UrbanSound8K dog bark: 0.28 (VBR 44.1 kHz stereo) to 0.67 dB (CBR 128k 22.05 kHz mono).
    /// </summary>
    private const double Mp3MeanDifferenceBoundDb = 1.0;

    public static TheoryData<string> EscClips()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(SharedData.Path("datasets", "esc10")).Order())
            data.Add(Directory.GetFiles(dir, "*.ogg").Order().First());
        return data;
    }

    [Theory]
    [MemberData(nameof(EscClips))]
    public void DecodesEsc10OggVorbis(string path)
    {
        var clip = AudioDecoder.DecodeFile(path);
        Assert.Equal(AudioFormat.OggVorbis, clip.Format);
        Assert.Equal(44100, clip.SampleRate);
        Assert.Equal(1, clip.SourceChannels);
        // sox is an independent Vorbis decoder: both must agree on the exact sample count.
        Assert.Equal(long.Parse(ExternalTools.Output("soxi", "-s", path).Trim()), clip.Samples.Length);
        Assert.All(clip.Samples, s => Assert.InRange(s, -1.01f, 1.01f));
    }

    [Fact]
    public void DecodesEveryEsc10ClipWithoutError()
    {
        var files = Directory.GetFiles(SharedData.Path("datasets", "esc10"), "*.ogg", SearchOption.AllDirectories);
        Assert.Equal(320, files.Length);
        // ESC-10 clips are nominally 5 s; a few real ones run from 3.6 s to 7.3 s.
        Parallel.ForEach(files, f => Assert.InRange(AudioDecoder.DecodeFile(f).Duration.TotalSeconds, 3.5, 7.5));
    }

    [Fact]
    public void DecodesEveryUrbanSound8kWav()
    {
        var files = Directory.GetFiles(SharedData.Path("datasets", "urbansound8k-mini", "audio"), "*.wav", SearchOption.AllDirectories);
        Assert.Equal(15, files.Length);
        foreach (var f in files)
        {
            var clip = AudioDecoder.DecodeFile(f);
            output.WriteLine($"{Path.GetFileName(f)}: {clip.SampleRate} Hz, {clip.SourceChannels} ch, {clip.Duration.TotalSeconds:0.000} s");
            Assert.Equal(AudioFormat.Wav, clip.Format);
            Assert.InRange(clip.Duration.TotalSeconds, 0.05, 4.01);
            Assert.Contains(clip.Samples, s => s != 0);
        }
    }

    [Fact]
    public void AnMp3OfExactlyTheMaximumDurationIsAcceptedLikeItsWav()
    {
        // The 600 s limit is checked after the gapless trim: lame's encoder delay and padding do not count.
        var dir = System.IO.Directory.CreateTempSubdirectory("audioclf-600s-").FullName;
        try
        {
            string wav = Path.Combine(dir, "600s.wav"), mp3 = Path.Combine(dir, "600s.mp3");
            ExternalTools.Run("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", wav, "synth", "600", "sine", "440", "vol", "0.3");
            ExternalTools.Run("lame", "--quiet", "-b", "32", wav, mp3);
            var limits = DecodeOptions.Default with { MaxDuration = TimeSpan.FromSeconds(600) };
            Assert.Equal(600.0, AudioDecoder.DecodeFile(wav, limits).Duration.TotalSeconds, 3);
            var clip = AudioDecoder.DecodeFile(mp3, limits);
            Assert.InRange(clip.Duration.TotalSeconds, 599.9, 600.1);
            // A second more is still refused, after the trim.
            Assert.Throws<AudioTooLongException>(() => AudioDecoder.DecodeFile(mp3, limits with { MaxDuration = TimeSpan.FromSeconds(599) }));
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AMemoryStreamIsDecodedFromItsPositionAndStillBoundedByTheByteLimit()
    {
        var wav = WavBuilder.Pcm16(WavBuilder.Sine(16000, 0.5, 440), 16000, 1);
        var padded = new byte[wav.Length + 100];
        wav.CopyTo(padded, 37);
        using var stream = new MemoryStream(padded, 37, wav.Length, writable: false, publiclyVisible: true);
        var clip = AudioDecoder.Decode(stream);
        Assert.Equal(8000, clip.Samples.Length);
        Assert.Equal(AudioDecoder.Decode(new MemoryStream(wav, writable: false)).Samples, clip.Samples);
        Assert.Equal(stream.Length, stream.Position); // consumed, like any other stream
        using var again = new MemoryStream(wav, 0, wav.Length, writable: false, publiclyVisible: true);
        Assert.Throws<AudioTooLongException>(() => AudioDecoder.Decode(again, DecodeOptions.Default with { MaxInputBytes = wav.Length - 1 }));
    }

    [Fact]
    public void ExtensionIsIgnoredFormatComesFromBytes()
    {
        var ogg = Directory.GetFiles(SharedData.Path("datasets", "esc10"), "*.ogg", SearchOption.AllDirectories)[0];
        var misnamed = Path.Combine(mp3.Directory, "actually-ogg.wav");
        File.Copy(ogg, misnamed);
        Assert.Equal(AudioFormat.OggVorbis, AudioDecoder.DecodeFile(misnamed).Format);
    }

    public static TheoryData<string> Mp3Variants() => new(Mp3Fixture.Variants.Select(v => v.Name));

    [Theory]
    [MemberData(nameof(Mp3Variants))]
    public void DecodesMp3Variants(string name)
    {
        var variant = Mp3Fixture.Variants.Single(v => v.Name == name);
        var wav = AudioDecoder.DecodeFile(mp3.WavPath(name));
        var clip = AudioDecoder.DecodeFile(mp3.Mp3Path(name));
        Assert.Equal(AudioFormat.Mp3, clip.Format);
        Assert.Equal(variant.Rate, clip.SampleRate);
        Assert.Equal(variant.Channels, clip.SourceChannels);
        // LAME's tag lets the decoder drop encoder delay and padding: the MP3 decodes to exactly the source length.
        Assert.Equal(wav.Samples.Length, clip.Samples.Length);
        Assert.InRange(Rms(clip.Samples) / Rms(wav.Samples), 0.9, 1.1);
    }

    [Theory]
    [MemberData(nameof(Mp3Variants))]
    public void Mp3FeaturesStayCloseToTheSourceWav(string name)
    {
        var frontEnd = new AudioFrontEnd(FeatureSpec.Default);
        var a = frontEnd.FeaturesFromFile(mp3.WavPath(name));
        var b = frontEnd.FeaturesFromFile(mp3.Mp3Path(name));
        float max = a.Data.Max();
        double sum = 0;
        int n = 0;
        for (int i = 0; i < a.Data.Length; i++)
        {
            if (a.Data[i] == 0 || a.Data[i] < max - 80)
                continue;
            sum += Math.Abs(a.Data[i] - b.Data[i]);
            n++;
        }
        double mean = sum / n;
        output.WriteLine($"{name}: mean |ΔdB| MP3 vs WAV = {mean:0.000} over {n} bins");
        Assert.True(mean < Mp3MeanDifferenceBoundDb, $"{name}: mean difference {mean:0.000} dB");
    }

    private static double Rms(float[] x) => Math.Sqrt(x.Average(v => (double)v * v));
}
