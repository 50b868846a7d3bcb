using System.CommandLine;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Terminal;

/// <summary>
/// A preset option and per-field overrides that together describe a <see cref="FeatureSpec"/>: the same flags on
/// <c>audioclf features</c>, <c>audioclf contract stamp</c> and <c>audioclf-train train|cv</c>.
/// </summary>
/// <param name="presetName">The preset option's name (<c>--preset</c> in audioclf, <c>--features</c> in the trainer).</param>
public sealed class FeatureSpecOptions(string presetName = "--preset")
{
    public Option<string?> Preset { get; } = new(presetName) { Description = "Named feature preset (seed, default); overrides below apply on top of it." };
    public Option<int?> SampleRate { get; } = new("--sr") { Description = "Target sample rate in Hz." };
    public Option<int?> NFft { get; } = new("--n-fft") { Description = "FFT size." };
    public Option<int?> WinLength { get; } = new("--win-length") { Description = "Window length (defaults to n_fft when n_fft is overridden)." };
    public Option<int?> Hop { get; } = new("--hop") { Description = "Hop length in samples." };
    public Option<int?> NMels { get; } = new("--n-mels") { Description = "Number of mel bands." };
    public Option<int?> Frames { get; } = new("--frames") { Description = "Output frames (crop or zero-pad)." };
    public Option<double?> FMin { get; } = new("--fmin") { Description = "Lowest mel edge in Hz." };
    public Option<double?> FMax { get; } = new("--fmax") { Description = "Highest mel edge in Hz." };
    public Option<double?> TopDb { get; } = new("--top-db") { Description = "Floor at clip max minus this many dB (0 disables)." };
    public Option<double?> WindowSeconds { get; } = new("--window-seconds") { Description = "Length of one model window; longer clips are cut into windows." };
    public Option<double?> WindowHopSeconds { get; } = new("--window-hop-seconds") { Description = "Step between windows of a long clip (default: the preset's; half of --window-seconds when that is shorter than it)." };
    public Option<FramePadding?> Padding { get; } = new("--padding") { Description = "How a clip shorter than the window is filled: zeros (0 dB), floor (the clip's lowest value) or repeat." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Preset, SampleRate, NFft, WinLength, Hop, NMels, Frames, FMin, FMax, TopDb, WindowSeconds, WindowHopSeconds, Padding })
            command.Options.Add(option);
    }

    /// <summary>
    /// The named preset (else <paramref name="fallback"/>, else the default preset) with every given override applied,
    /// validated.
    /// </summary>
    public FeatureSpec Resolve(ParseResult result, FeatureSpec? fallback = null)
    {
        var spec = result.GetValue(Preset) is { } preset ? FeatureSpec.Preset(preset) : fallback ?? FeatureSpec.Default;
        int? nFft = result.GetValue(NFft);
        double? topDb = result.GetValue(TopDb);
        spec = spec with
        {
            SampleRate = result.GetValue(SampleRate) ?? spec.SampleRate,
            NFft = nFft ?? spec.NFft,
            WinLength = result.GetValue(WinLength) ?? nFft ?? spec.WinLength,
            HopLength = result.GetValue(Hop) ?? spec.HopLength,
            NMels = result.GetValue(NMels) ?? spec.NMels,
            Frames = result.GetValue(Frames) ?? spec.Frames,
            FMin = result.GetValue(FMin) ?? spec.FMin,
            FMax = result.GetValue(FMax) ?? (result.GetValue(SampleRate) is { } sr ? Math.Min(spec.FMax, sr / 2.0) : spec.FMax),
            // 0 turns the floor off; anything else goes to Validate, which refuses a negative or non-finite floor
            // (NaN and -5 once fell through to "no floor" silently).
            TopDb = topDb is null ? spec.TopDb : topDb == 0 ? null : topDb,
            WindowSeconds = result.GetValue(WindowSeconds) ?? spec.WindowSeconds,
            // A window given alone, shorter than the base's step, gets half a window (a 1 s window would otherwise get
            // the default's 2.5 s step, which is refused); any other base step is kept.
            WindowHopSeconds = result.GetValue(WindowHopSeconds)
                ?? (result.GetValue(WindowSeconds) is { } window && spec.WindowHopSeconds > window ? window / 2 : spec.WindowHopSeconds),
            Padding = result.GetValue(Padding) ?? spec.Padding,
        };
        return spec.Validate();
    }
}
