using System.Globalization;

namespace AudioClassifier.LoadTest;

/// <summary>Command-line settings of the load generator.</summary>
public sealed record LoadOptions(Uri Url, string Clip, int? Pid, int[] Concurrency, double Seconds, string Label)
{
    public static LoadOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var url = Get("--url") ?? throw new ArgumentException("--url is required");
        var clip = Get("--clip") ?? throw new ArgumentException("--clip is required");
        return new LoadOptions(
            new Uri(url),
            clip,
            Get("--pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
            (Get("--concurrency") ?? "1,4,16,64").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            double.Parse(Get("--seconds") ?? "10", CultureInfo.InvariantCulture),
            Get("--label") ?? "");
    }
}
