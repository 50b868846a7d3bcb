using AudioClassifier.Audio;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Features;
using AudioClassifier.TestSupport;
using BenchmarkDotNet.Attributes;

namespace AudioClassifier.Benchmarks;

/// <summary>
/// Time from encoded bytes to the model's log-mel matrix for one 5 s, 44.1 kHz clip (a real ESC-10 rooster), per
/// format, on one thread: decode + mono + resample to 22.05 kHz + log-mel with the default spec. The stages are
/// also measured alone so a regression can be located.
/// </summary>
[MemoryDiagnoser]
public class FrontEndBenchmarks
{
    private readonly AudioFrontEnd _frontEnd = new(FeatureSpec.Default);
    private byte[] _wav = [];
    private byte[] _mp3 = [];
    private byte[] _ogg = [];
    private AudioClip _clip = null!;
    private float[] _atModelRate = [];

    [Params("wav", "mp3", "ogg")]
    public string Format { get; set; } = "wav";

    [GlobalSetup]
    public void Setup()
    {
        var ogg = Path.Combine(SharedData.Path("datasets", "esc10", "009 - Rooster"), "1-26806-A.ogg");
        var dir = Directory.CreateTempSubdirectory("audioclf-bench-").FullName;
        var wav = Path.Combine(dir, "clip.wav");
        var mp3 = Path.Combine(dir, "clip.mp3");
        ExternalTools.Run("sox", ogg, "-b", "16", wav);
        ExternalTools.Run("lame", "--quiet", "-b", "128", wav, mp3);
        (_wav, _mp3, _ogg) = (File.ReadAllBytes(wav), File.ReadAllBytes(mp3), File.ReadAllBytes(ogg));
        Directory.Delete(dir, true);
        _clip = AudioDecoder.Decode(Bytes);
        _atModelRate = _frontEnd.ToModelRate(_clip);
    }

    private byte[] Bytes => Format switch { "wav" => _wav, "mp3" => _mp3, _ => _ogg };

    [Benchmark(Description = "decode+resample+log-mel")]
    public LogMel EndToEnd() => _frontEnd.Features(AudioDecoder.Decode(Bytes));

    [Benchmark(Description = "decode only")]
    public AudioClip Decode() => AudioDecoder.Decode(Bytes);

    [Benchmark(Description = "resample 44.1k->22.05k")]
    public float[] Resample() => _frontEnd.ToModelRate(_clip);

    [Benchmark(Description = "log-mel only")]
    public LogMel LogMel() => _frontEnd.Features(_atModelRate);
}
