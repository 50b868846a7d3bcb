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

// Warm-up: JIT, connection pool and the model's first runs are not measured.
for (int i = 0; i < 20; i++)
    await Send(http, body, CancellationToken.None);

Console.WriteLine($"| {options.Label} concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | requests | RSS before MB | RSS after MB |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (int concurrency in options.Concurrency)
{
    long rssBefore = Rss(options.Pid);
    var latencies = new List<double>[concurrency];
    int errors = 0;
    var deadline = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var mine = latencies[w] = [];
        while (deadline.Elapsed.TotalSeconds < options.Seconds)
        {
            var watch = Stopwatch.StartNew();
            bool ok = await Send(http, body, CancellationToken.None);
            mine.Add(watch.Elapsed.TotalMilliseconds);
            if (!ok)
                Interlocked.Increment(ref errors);
        }
    })).ToArray();
    await Task.WhenAll(workers);
    double elapsed = deadline.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
    long rssAfter = Rss(options.Pid);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {concurrency} | {all.Length / elapsed:0.0} | {P(0.50):0.0} | {P(0.95):0.0} | {P(0.99):0.0} | {errors} | {all.Length} | {rssBefore / 1024.0:0} | {rssAfter / 1024.0:0} |"));
}

static async Task<bool> Send(HttpClient http, byte[] body, CancellationToken ct)
{
    try
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using var response = await http.PostAsync("/classify?top_k=1", content, ct);
        await response.Content.ReadAsByteArrayAsync(ct);
        return response.IsSuccessStatusCode;
    }
    catch (HttpRequestException)
    {
        return false;
    }
}

static long Rss(int? pid)
{
    if (pid is null || !File.Exists($"/proc/{pid}/status"))
        return 0;
    var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
