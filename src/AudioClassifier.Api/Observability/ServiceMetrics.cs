using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Api.Observability;

/// <summary>
/// The service's Prometheus metrics: request counts by status, latency histograms (end-to-end, decode, features,
/// inference), batch sizes, runs per batch shape and padding, queue depth, audio seconds processed, model readiness
/// and the execution provider.
/// </summary>
public sealed class ServiceMetrics
{
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64];

    private readonly ConcurrentDictionary<int, long> _requests = new();
    private readonly Histogram _requestSeconds = new(LatencyBuckets);
    private readonly Histogram _decodeSeconds = new(LatencyBuckets);
    private readonly Histogram _featureSeconds = new(LatencyBuckets);
    private readonly Histogram _inferenceSeconds = new(LatencyBuckets);
    private readonly Histogram _batchSize = new(BatchBuckets);
    private readonly ConcurrentDictionary<int, long> _runsByShape = new();
    private long _paddingWindows;
    private long _audioMicroseconds;
    private long _clientDisconnects;

    public void RequestCompleted(int status, double seconds)
    {
        _requests.AddOrUpdate(status, 1, (_, n) => n + 1);
        _requestSeconds.Observe(seconds);
    }

    public void Decoded(TimeSpan elapsed, double audioSeconds)
    {
        _decodeSeconds.Observe(elapsed.TotalSeconds);
        Interlocked.Add(ref _audioMicroseconds, (long)(audioSeconds * 1e6));
    }

    public void Classified(TimeSpan features, TimeSpan inference)
    {
        _featureSeconds.Observe(features.TotalSeconds);
        _inferenceSeconds.Observe(inference.TotalSeconds);
    }

    public void BatchRun(BatchRunInfo run)
    {
        _batchSize.Observe(run.Windows);
        _runsByShape.AddOrUpdate(run.Shape, 1, (_, n) => n + 1);
        Interlocked.Add(ref _paddingWindows, run.Padding);
    }

    public void ClientDisconnected() => Interlocked.Increment(ref _clientDisconnects);

    /// <summary>The Prometheus text exposition (version 0.0.4).</summary>
    /// <param name="shapes">The loaded model's batch shapes, listed even before their first run.</param>
    /// <param name="loadFailures">Failed model load attempts since start (first load and reloads).</param>
    public string Render(int queueDepth, bool ready, string? provider, string? model, IReadOnlyList<int>? shapes = null, long loadFailures = 0)
    {
        var s = new StringBuilder();
        s.AppendLine("# HELP audioclf_requests_total Classification requests by HTTP status.");
        s.AppendLine("# TYPE audioclf_requests_total counter");
        foreach (var (status, n) in _requests.OrderBy(p => p.Key))
            s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_requests_total{{status=\"{status}\"}} {n}");
        _requestSeconds.Render(s, "audioclf_request_duration_seconds", "End-to-end /classify latency.");
        _decodeSeconds.Render(s, "audioclf_decode_duration_seconds", "Decoding the upload (WAV/MP3/Ogg to samples) per request.");
        _featureSeconds.Render(s, "audioclf_features_duration_seconds", "Resample + log-mel time per /classify request.");
        _inferenceSeconds.Render(s, "audioclf_inference_duration_seconds", "Time waiting for a batch and running the model per /classify request.");
        _batchSize.Render(s, "audioclf_batch_size", "Real (unpadded) windows per ONNX Runtime run.");
        s.AppendLine("# HELP audioclf_batch_runs_total ONNX Runtime runs by batch shape (the batch dimension the model ran at).");
        s.AppendLine("# TYPE audioclf_batch_runs_total counter");
        foreach (int shape in (shapes ?? []).Union(_runsByShape.Keys).Order())
            s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_batch_runs_total{{shape=\"{shape}\"}} {_runsByShape.GetValueOrDefault(shape)}");
        s.AppendLine("# HELP audioclf_batch_padding_windows_total Zero windows added to runs to reach a batch shape (wasted work).");
        s.AppendLine("# TYPE audioclf_batch_padding_windows_total counter");
        s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_batch_padding_windows_total {Interlocked.Read(ref _paddingWindows)}");
        s.AppendLine("# HELP audioclf_queue_depth Windows waiting for a batch.");
        s.AppendLine("# TYPE audioclf_queue_depth gauge");
        s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_queue_depth {queueDepth}");
        s.AppendLine("# HELP audioclf_audio_seconds_total Seconds of audio classified.");
        s.AppendLine("# TYPE audioclf_audio_seconds_total counter");
        s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_audio_seconds_total {Interlocked.Read(ref _audioMicroseconds) / 1e6:0.######}");
        s.AppendLine("# HELP audioclf_client_disconnects_total Requests abandoned by the client.");
        s.AppendLine("# TYPE audioclf_client_disconnects_total counter");
        s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_client_disconnects_total {Interlocked.Read(ref _clientDisconnects)}");
        s.AppendLine("# HELP audioclf_model_ready 1 when a model is loaded and warmed up.");
        s.AppendLine("# TYPE audioclf_model_ready gauge");
        s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_model_ready {(ready ? 1 : 0)}");
        s.AppendLine("# HELP audioclf_model_load_failures_total Failed attempts to load the model file (first load or reload; the previous model keeps serving).");
        s.AppendLine("# TYPE audioclf_model_load_failures_total counter");
        s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_model_load_failures_total {loadFailures}");
        s.AppendLine("# HELP audioclf_model_info The model and execution provider in use.");
        s.AppendLine("# TYPE audioclf_model_info gauge");
        if (ready)
            s.AppendLine(CultureInfo.InvariantCulture, $"audioclf_model_info{{model=\"{model}\",provider=\"{provider}\"}} 1");
        RenderMemory(s);
        Gauge(s, "audioclf_resampler_cache_bytes", $"Bytes of exact resampling kernels cached (capped at {AudioClassifier.Audio.Dsp.Resampler.CacheCapacityBytes}).", AudioClassifier.Audio.Dsp.Resampler.CachedKernelBytes);
        return s.ToString();
    }

    // Resident memory next to the managed heap, so growth can be attributed: the GC heap, or native memory
    // (ONNX Runtime's arena, the C allocator) that only the difference shows.
    private static void RenderMemory(StringBuilder s)
    {
        var gc = GC.GetGCMemoryInfo();
        Gauge(s, "process_resident_memory_bytes", "Resident set size of the process.", Environment.WorkingSet);
        Gauge(s, "dotnet_gc_heap_size_bytes", "Managed heap size after the last garbage collection.", gc.HeapSizeBytes);
        Gauge(s, "dotnet_gc_committed_bytes", "Memory committed by the garbage collector.", gc.TotalCommittedBytes);
        Gauge(s, "dotnet_gc_fragmented_bytes", "Free space inside the managed heap after the last garbage collection.", gc.FragmentedBytes);
    }

    private static void Gauge(StringBuilder s, string name, string help, long value)
    {
        s.AppendLine(CultureInfo.InvariantCulture, $"# HELP {name} {help}");
        s.AppendLine(CultureInfo.InvariantCulture, $"# TYPE {name} gauge");
        s.AppendLine(CultureInfo.InvariantCulture, $"{name} {value}");
    }

    /// <summary>A cumulative histogram with fixed buckets.</summary>
    private sealed class Histogram(double[] buckets)
    {
        private readonly long[] _counts = new long[buckets.Length + 1];
        private long _count;
        private long _sumMicros;

        public void Observe(double value)
        {
            int i = 0;
            while (i < buckets.Length && value > buckets[i])
                i++;
            Interlocked.Increment(ref _counts[i]);
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sumMicros, (long)(value * 1e6));
        }

        public void Render(StringBuilder s, string name, string help)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"# HELP {name} {help}");
            s.AppendLine(CultureInfo.InvariantCulture, $"# TYPE {name} histogram");
            long cumulative = 0;
            for (int i = 0; i < buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref _counts[i]);
                s.AppendLine(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{buckets[i]}\"}} {cumulative}");
            }
            cumulative += Interlocked.Read(ref _counts[^1]);
            s.AppendLine(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {cumulative}");
            s.AppendLine(CultureInfo.InvariantCulture, $"{name}_sum {Interlocked.Read(ref _sumMicros) / 1e6:0.######}");
            s.AppendLine(CultureInfo.InvariantCulture, $"{name}_count {Interlocked.Read(ref _count)}");
        }
    }
}
