using System.Text.Json;
using System.Text.Json.Nodes;

namespace AudioClassifier.Audio.Features;

/// <summary>
/// JSON form of a <see cref="FeatureSpec"/> as embedded in model metadata: the tunable fields plus the fixed
/// semantics spelled out, so a reader can refuse a spec computed with an algorithm this code does not implement.
/// </summary>
public static class FeatureSpecJson
{
    /// <summary>Algorithm choices this implementation computes; written into every spec and checked on read.</summary>
    public static IReadOnlyDictionary<string, string> FixedSemantics { get; } = new Dictionary<string, string>
    {
        ["window"] = "hann_periodic",
        ["center"] = "reflect",
        ["power"] = "2",
        ["mel_scale"] = "htk",
        ["mel_norm"] = "none",
        ["db"] = "10log10_amin1e-10",
        ["resampling"] = "sinc_interp_hann_w6_r0.99",
        ["mono"] = "channel_mean",
        ["fixed_length"] = FramePadding.Zeros.FixedLengthSemantics(),
    };

    // fixed_length follows the spec's padding; the other semantics are fixed.
    private const string FixedLength = "fixed_length";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    /// <summary>Serialises the spec with its fixed semantics.</summary>
    public static string Serialize(FeatureSpec spec, bool indented = false)
    {
        var node = JsonSerializer.SerializeToNode(spec, Options)!.AsObject();
        foreach (var (key, value) in FixedSemantics)
            node[key] = value;
        node[FixedLength] = spec.Padding.FixedLengthSemantics();
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
    }

    /// <summary>Parses and validates a spec; a missing field, an unknown semantic or a bad value is an error naming it.</summary>
    public static FeatureSpec Deserialize(string json)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidFeatureSpecException("feature_spec", "feature spec JSON is null.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidFeatureSpecException("feature_spec", $"feature spec is not a JSON object: {e.Message}");
        }
        var fixedLength = obj[FixedLength]?.ToString();
        obj.Remove(FixedLength);
        foreach (var (key, expected) in FixedSemantics.Where(p => p.Key != FixedLength))
        {
            if (obj[key] is { } v && v.ToString() != expected)
                throw new InvalidFeatureSpecException(key, $"{key} '{v}' is not supported by this front end (expected '{expected}').");
            obj.Remove(key);
        }
        try
        {
            var spec = obj.Deserialize<FeatureSpec>(new JsonSerializerOptions { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow })
                ?? throw new InvalidFeatureSpecException("feature_spec", "feature spec JSON is null.");
            spec.Validate();
            if (fixedLength is not null && fixedLength != spec.Padding.FixedLengthSemantics())
                throw new InvalidFeatureSpecException(FixedLength, $"{FixedLength} '{fixedLength}' does not match padding '{spec.Padding.ToString().ToLowerInvariant()}' (expected '{spec.Padding.FixedLengthSemantics()}').");
            return spec;
        }
        catch (JsonException e)
        {
            throw new InvalidFeatureSpecException(e.Path?.TrimStart('$', '.') ?? "feature_spec", $"feature spec is invalid: {e.Message}");
        }
    }
}
