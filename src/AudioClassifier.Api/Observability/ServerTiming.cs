using System.Globalization;
using System.Text;

namespace AudioClassifier.Api.Observability;

/// <summary>
/// Named durations of one request's stages, sent as a W3C <c>Server-Timing</c> response header so that callers and
/// load tools can tell the service's own time from network and client time.
/// </summary>
public sealed class ServerTiming
{
    private static readonly object Key = new();
    private readonly List<(string Name, double Milliseconds)> _entries = [];

    /// <summary>The request's timing, created (and its header scheduled) on first use.</summary>
    public static ServerTiming For(HttpContext context)
    {
        if (context.Items.TryGetValue(Key, out var existing) && existing is ServerTiming timing)
            return timing;
        timing = new ServerTiming();
        context.Items[Key] = timing;
        context.Response.OnStarting(() =>
        {
            if (timing._entries.Count > 0)
                context.Response.Headers["Server-Timing"] = timing.ToString();
            return Task.CompletedTask;
        });
        return timing;
    }

    public void Add(string name, TimeSpan duration)
    {
        lock (_entries)
            _entries.Add((name, duration.TotalMilliseconds));
    }

    /// <summary>The header value, e.g. <c>read;dur=0.1, decode;dur=0.28, features;dur=1.3, inference;dur=10.4</c>.</summary>
    public override string ToString()
    {
        lock (_entries)
        {
            var s = new StringBuilder();
            foreach (var (name, ms) in _entries)
                s.Append(s.Length == 0 ? "" : ", ").Append(name).Append(";dur=").Append(ms.ToString("0.###", CultureInfo.InvariantCulture));
            return s.ToString();
        }
    }
}
