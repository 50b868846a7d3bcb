using System.Text.Json.Nodes;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Audio.Tests;

/// <summary>The spec is the contract embedded in models: it must round-trip exactly and refuse nonsense by name.</summary>
public class FeatureSpecTests
{
    [Theory]
    [InlineData("seed")]
    [InlineData("default")]
    public void PresetsRoundTripThroughJson(string name)
    {
        var spec = FeatureSpec.Preset(name);
        var json = FeatureSpecJson.Serialize(spec);
        Assert.Equal(spec, FeatureSpecJson.Deserialize(json));
        Assert.Contains("\"mel_scale\":\"htk\"", json);
    }

    [Fact]
    public void SeedPresetIsTheTutorialsSettings()
    {
        var s = FeatureSpec.Seed;
        Assert.Equal((22050, 400, 200, 64, 330, (double?)null), (s.SampleRate, s.NFft, s.HopLength, s.NMels, s.Frames, s.TopDb));
        Assert.Equal(11025, s.FMax);
    }

    [Fact]
    public void UnknownPresetListsKnownOnes()
    {
        var e = Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpec.Preset("huge"));
        Assert.Contains("seed", e.Message);
        Assert.Contains("default", e.Message);
    }

    public static TheoryData<string, FeatureSpec> InvalidSpecs() => new()
    {
        { "hop_length", FeatureSpec.Default with { HopLength = 0 } },
        { "f_max", FeatureSpec.Default with { FMax = 12000 } },
        { "f_max", FeatureSpec.Default with { FMin = 500, FMax = 400 } },
        { "f_min", FeatureSpec.Default with { FMin = -1 } },
        { "win_length", FeatureSpec.Default with { WinLength = 4096 } },
        { "n_fft", FeatureSpec.Default with { NFft = 0 } },
        { "n_mels", FeatureSpec.Default with { NMels = 0 } },
        { "sample_rate", FeatureSpec.Default with { SampleRate = 0 } },
        { "top_db", FeatureSpec.Default with { TopDb = -5 } },
        { "frames", FeatureSpec.Default with { Frames = 0 } },
        { "window_seconds", FeatureSpec.Default with { WindowSeconds = 0 } },
        { "window_hop_seconds", FeatureSpec.Default with { WindowHopSeconds = 10 } },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public void ValidationNamesTheField(string field, FeatureSpec spec)
    {
        var e = Assert.Throws<InvalidFeatureSpecException>(() => spec.Validate());
        Assert.Equal(field, e.Field);
        Assert.StartsWith(field, e.Message);
    }

    [Fact]
    public void ExtractorRefusesAnInvalidSpec() =>
        Assert.Throws<InvalidFeatureSpecException>(() => LogMelExtractor.For(FeatureSpec.Default with { HopLength = 0 }));

    [Theory]
    [InlineData("mel_scale", "slaney")]
    [InlineData("window", "hamming")]
    [InlineData("resampling", "kaiser")]
    public void UnsupportedSemanticsAreRefused(string key, string value)
    {
        var node = JsonNode.Parse(FeatureSpecJson.Serialize(FeatureSpec.Default))!.AsObject();
        node[key] = value;
        var e = Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize(node.ToJsonString()));
        Assert.Equal(key, e.Field);
    }

    [Fact]
    public void MissingFieldIsRefused()
    {
        var node = JsonNode.Parse(FeatureSpecJson.Serialize(FeatureSpec.Default))!.AsObject();
        node.Remove("hop_length");
        var e = Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize(node.ToJsonString()));
        Assert.Contains("hop_length", e.Message);
    }

    [Fact]
    public void UnknownFieldIsRefused()
    {
        var node = JsonNode.Parse(FeatureSpecJson.Serialize(FeatureSpec.Default))!.AsObject();
        node["pre_emphasis"] = 0.97;
        var e = Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize(node.ToJsonString()));
        Assert.Contains("pre_emphasis", e.Message);
    }

    [Fact]
    public void InvalidValueInJsonIsRefusedByName()
    {
        var node = JsonNode.Parse(FeatureSpecJson.Serialize(FeatureSpec.Default))!.AsObject();
        node["f_max"] = 20000;
        Assert.Equal("f_max", Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize(node.ToJsonString())).Field);
    }

    [Fact]
    public void NotJsonIsRefused() =>
        Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize("{not json"));
}
