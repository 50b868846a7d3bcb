using System.Text.Json.Serialization;

namespace AudioClassifier.Audio.Features;

/// <summary>
/// Every parameter of the log-mel front end. It travels inside each exported model, so training and serving
/// compute identical features. Fixed semantics (torchaudio): periodic Hann window centred in n_fft, reflect-padded
/// centred frames, power 2, HTK mel scale without area normalisation, 10·log10(max(x, 1e-10)), optional top_db floor
/// over the whole clip, then crop or pad (<see cref="Padding"/>) to <see cref="Frames"/>; resampling is sinc_interp_hann (width 6,
/// rolloff 0.99) and stereo is mixed down by channel mean.
/// </summary>
public sealed record FeatureSpec
{
    /// <summary>Rate every clip is resampled to, in Hz.</summary>
    [JsonPropertyName("sample_rate")] public required int SampleRate { get; init; }

    /// <summary>FFT size; n_fft/2+1 frequency bins.</summary>
    [JsonPropertyName("n_fft")] public required int NFft { get; init; }

    /// <summary>Hann window length (≤ n_fft, centred and zero-padded to n_fft).</summary>
    [JsonPropertyName("win_length")] public required int WinLength { get; init; }

    /// <summary>Samples between successive frames.</summary>
    [JsonPropertyName("hop_length")] public required int HopLength { get; init; }

    /// <summary>Mel bands (rows of the feature matrix).</summary>
    [JsonPropertyName("n_mels")] public required int NMels { get; init; }

    /// <summary>Lowest filterbank edge in Hz.</summary>
    [JsonPropertyName("f_min")] public required double FMin { get; init; }

    /// <summary>Highest filterbank edge in Hz (≤ Nyquist).</summary>
    [JsonPropertyName("f_max")] public required double FMax { get; init; }

    /// <summary>When set, dB values are floored at (clip maximum − top_db).</summary>
    [JsonPropertyName("top_db")] public double? TopDb { get; init; }

    /// <summary>Columns of the feature matrix: longer clips are cropped, shorter ones padded as <see cref="Padding"/> says.</summary>
    [JsonPropertyName("frames")] public required int Frames { get; init; }

    /// <summary>How a clip shorter than the window fills the rest (default zeros, which older models use; written
    /// only when not zeros, so a service that predates the setting refuses such a model instead of misreading it).</summary>
    [JsonPropertyName("padding"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public FramePadding Padding { get; init; }

    /// <summary>Seconds of audio one model input covers; longer clips are scored as windows of this length.</summary>
    [JsonPropertyName("window_seconds")] public required double WindowSeconds { get; init; }

    /// <summary>Seconds between the starts of successive windows of a long clip.</summary>
    [JsonPropertyName("window_hop_seconds")] public required double WindowHopSeconds { get; init; }

    /// <summary>The seed tutorial's exact settings: 22050 Hz, n_fft 400, hop 200, 64 mels, 330 frames, no top_db.</summary>
    public static FeatureSpec Seed { get; } = new()
    {
        SampleRate = 22050, NFft = 400, WinLength = 400, HopLength = 200, NMels = 64,
        FMin = 0, FMax = 11025, TopDb = null, Frames = 330, WindowSeconds = 3.0, WindowHopSeconds = 1.5,
    };

    /// <summary>
    /// Default for new models: 22050 Hz, 2048-point FFT (93 ms, fine frequency detail for 128 bands), hop 512
    /// (23 ms), 128 mels from 20 Hz to Nyquist, an 80 dB floor, and 216 frames — exactly one 5 s ESC-style clip.
    /// </summary>
    public static FeatureSpec Default { get; } = new()
    {
        SampleRate = 22050, NFft = 2048, WinLength = 2048, HopLength = 512, NMels = 128,
        FMin = 20, FMax = 11025, TopDb = 80, Frames = 216, WindowSeconds = 5.0, WindowHopSeconds = 2.5,
    };

    /// <summary>Named presets, by the names the CLI and configuration accept.</summary>
    public static IReadOnlyDictionary<string, FeatureSpec> Presets { get; } =
        new Dictionary<string, FeatureSpec>(StringComparer.OrdinalIgnoreCase) { ["seed"] = Seed, ["default"] = Default };

    /// <summary>The preset called <paramref name="name"/>, or an error listing the known names.</summary>
    public static FeatureSpec Preset(string name) =>
        Presets.TryGetValue(name, out var spec)
            ? spec
            : throw new InvalidFeatureSpecException("preset", $"unknown preset '{name}'; known presets: {string.Join(", ", Presets.Keys)}.");

    /// <summary>Number of FFT bins, n_fft/2+1.</summary>
    [JsonIgnore] public int FrequencyBins => NFft / 2 + 1;

    /// <summary>Samples at <see cref="SampleRate"/> in one window of audio.</summary>
    [JsonIgnore] public int WindowSamples => (int)Math.Round(WindowSeconds * SampleRate);

    /// <summary>Samples at <see cref="SampleRate"/> between successive windows.</summary>
    [JsonIgnore] public int WindowHopSamples => Math.Max(1, (int)Math.Round(WindowHopSeconds * SampleRate));

    /// <summary>Throws <see cref="InvalidFeatureSpecException"/> naming the first invalid field.</summary>
    public FeatureSpec Validate()
    {
        Require(SampleRate is >= Decoding.AudioLimits.MinSampleRate and <= Decoding.AudioLimits.MaxSampleRate, "sample_rate",
            $"must be between {Decoding.AudioLimits.MinSampleRate} and {Decoding.AudioLimits.MaxSampleRate} Hz (got {SampleRate})");
        Require(NFft is >= 8 and <= 65536, "n_fft", $"must be between 8 and 65536 (got {NFft})");
        Require(WinLength >= 1 && WinLength <= NFft, "win_length", $"must be between 1 and n_fft={NFft} (got {WinLength})");
        Require(HopLength >= 1, "hop_length", $"must be at least 1 (got {HopLength})");
        Require(HopLength <= 16 * NFft, "hop_length", $"must not exceed 16 × n_fft (got {HopLength})");
        Require(NMels is >= 1 and <= 1024, "n_mels", $"must be between 1 and 1024 (got {NMels})");
        Require(double.IsFinite(FMin) && FMin >= 0, "f_min", $"must be a finite frequency ≥ 0 Hz (got {FMin})");
        Require(double.IsFinite(FMax) && FMax > FMin, "f_max", $"must be above f_min={FMin} Hz (got {FMax})");
        Require(FMax <= SampleRate / 2.0, "f_max", $"must not exceed the Nyquist frequency {SampleRate / 2.0} Hz (got {FMax})");
        Require(TopDb is null || (double.IsFinite(TopDb.Value) && TopDb > 0), "top_db", $"must be positive or absent (got {TopDb})");
        Require(Frames is >= 1 and <= 100_000, "frames", $"must be between 1 and 100000 (got {Frames})");
        Require(Enum.IsDefined(Padding), "padding", $"must be zeros, floor or repeat (got {Padding})");
        Require(double.IsFinite(WindowSeconds) && WindowSeconds > 0 && WindowSeconds <= 600, "window_seconds",
            $"must be between 0 and 600 s (got {WindowSeconds})");
        Require(double.IsFinite(WindowHopSeconds) && WindowHopSeconds > 0 && WindowHopSeconds <= WindowSeconds, "window_hop_seconds",
            $"must be positive and at most window_seconds={WindowSeconds} (got {WindowHopSeconds})");
        return this;
    }

    private static void Require(bool condition, string field, string message)
    {
        if (!condition)
            throw new InvalidFeatureSpecException(field, $"{field} {message}.");
    }
}

/// <summary>Thrown for an invalid <see cref="FeatureSpec"/>; <see cref="Field"/> names the offending parameter.</summary>
public sealed class InvalidFeatureSpecException(string field, string message) : ArgumentException(message, field)
{
    /// <summary>JSON/CLI name of the invalid field.</summary>
    public string Field { get; } = field;
}
