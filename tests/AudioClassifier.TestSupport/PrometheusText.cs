using System.Globalization;
using System.Text.RegularExpressions;

namespace AudioClassifier.TestSupport;

/// <summary>Reads samples from a Prometheus text exposition (/metrics): a metric by name and a subset of its labels,
/// whatever other labels (e.g. OpenTelemetry's otel_scope_name) it carries.</summary>
public static partial class PrometheusText
{
    /// <summary>Every sample of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public static IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Samples(string exposition, string name, params (string Key, string Value)[] labels)
    {
        var found = new List<(IReadOnlyDictionary<string, string>, double)>();
        foreach (Match m in Sample().Matches(exposition))
        {
            if (m.Groups["name"].Value != name)
                continue;
            var set = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            if (labels.All(l => set.TryGetValue(l.Key, out var v) && v == l.Value))
                found.Add((set, double.Parse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return found;
    }

    /// <summary>The sum of the matching samples (0 when there are none).</summary>
    public static double Value(string exposition, string name, params (string Key, string Value)[] labels) =>
        Samples(exposition, name, labels).Sum(s => s.Value);

    /// <summary>True when at least one sample matches.</summary>
    public static bool Has(string exposition, string name, params (string Key, string Value)[] labels) =>
        Samples(exposition, name, labels).Count > 0;

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
