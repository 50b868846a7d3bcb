using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using AudioClassifier.LoadTest;

// Usage: AudioClassifier.LoadTest --url http://127.0.0.1:8080 --clip clip.wav [--pid N] [--concurrency 1,4,16,64] [--seconds 10] [--label name]
var options = LoadOptions.Parse(args);
var body = File.ReadAllBytes(options.Clip);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = options.Url,
    Timeout = TimeSpan.FromSeconds(60),
};

// Warm-up: JIT tiering, connection pool and the model's first runs are not measured.
for (int i = 0; i < 100; i++)
    await Send(http, body, CancellationToken.None);

// "server p50" is the service's own time (its Server-Timing stages); CPU ms/req is processor time (all threads) per
// request, of the service and of this load generator, which share the machine's cores.
Console.WriteLine($"| {options.Label} concurrency | req/s | p50 ms | p95 ms | p99 ms | server p50 ms | server CPU ms/req | client CPU ms/req | errors | requests | RSS before MB | RSS after MB |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (int concurrency in options.Concurrency)
{
    long rssBefore = Rss(options.Pid);
    var (serverCpuBefore, clientCpuBefore) = (Cpu(options.Pid), Cpu(Environment.ProcessId));
    var latencies = new List<double>[concurrency];
    var serverTimes = new List<double>[concurrency];
    int errors = 0;
    var deadline = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var mine = latencies[w] = [];
        var server = serverTimes[w] = [];
        while (deadline.Elapsed.TotalSeconds < options.Seconds)
        {
            var watch = Stopwatch.StartNew();
            var (ok, serverMs) = await Send(http, body, CancellationToken.None);
            mine.Add(watch.Elapsed.TotalMilliseconds);
            if (serverMs is { } ms)
                server.Add(ms);
            if (!ok)
                Interlocked.Increment(ref errors);
        }
    })).ToArray();
    await Task.WhenAll(workers);
    double elapsed = deadline.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    var serverAll = serverTimes.SelectMany(l => l).Order().ToArray();
    double P(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    long rssAfter = Rss(options.Pid);
    double serverCpu = (Cpu(options.Pid) - serverCpuBefore).TotalMilliseconds / all.Length;
    double clientCpu = (Cpu(Environment.ProcessId) - clientCpuBefore).TotalMilliseconds / all.Length;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {concurrency} | {all.Length / elapsed:0.0} | {P(all, 0.50):0.0} | {P(all, 0.95):0.0} | {P(all, 0.99):0.0} | {P(serverAll, 0.50):0.0} | {serverCpu:0.0} | {clientCpu:0.0} | {errors} | {all.Length} | {rssBefore / 1024.0:0} | {rssAfter / 1024.0:0} |"));
}

// Whether the request succeeded, and the service's own time for it (the sum of its Server-Timing durations).
static async Task<(bool Ok, double? ServerMs)> Send(HttpClient http, byte[] body, CancellationToken ct)
{
    try
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using var response = await http.PostAsync("/classify?top_k=1", content, ct);
        await response.Content.ReadAsByteArrayAsync(ct);
        return (response.IsSuccessStatusCode, ServerMilliseconds(response));
    }
    catch (HttpRequestException)
    {
        return (false, null);
    }
}

static double? ServerMilliseconds(HttpResponseMessage response)
{
    if (!response.Headers.TryGetValues("Server-Timing", out var values))
        return null;
    double total = 0;
    foreach (var metric in values.SelectMany(v => v.Split(',')))
    {
        var dur = metric.Split(';').Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("dur=", StringComparison.Ordinal));
        if (dur is not null && double.TryParse(dur.AsSpan(4), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
            total += ms;
    }
    return total;
}

static TimeSpan Cpu(int? pid)
{
    if (pid is null)
        return TimeSpan.Zero;
    try
    {
        using var process = Process.GetProcessById(pid.Value);
        return process.TotalProcessorTime;
    }
    catch (ArgumentException)
    {
        return TimeSpan.Zero; // the process has exited
    }
}

static long Rss(int? pid)
{
    if (pid is null || !File.Exists($"/proc/{pid}/status"))
        return 0;
    var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
