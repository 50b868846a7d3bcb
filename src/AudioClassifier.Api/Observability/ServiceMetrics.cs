using System.Diagnostics.Metrics;
using AudioClassifier.Api.Hosting;
using AudioClassifier.Audio.Dsp;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Api.Observability;

/// <summary>
/// The service's own instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>), exported by OpenTelemetry
/// next to ASP.NET Core's HTTP server metrics and the runtime's process metrics: requests by status, stage latencies
/// (end-to-end, decode, features, inference), batch sizes, runs per batch shape and padding, queue depth, audio
/// seconds, model readiness, load failures, the execution provider and the resampler's kernel cache.
/// </summary>
public sealed class ServiceMetrics
{
    /// <summary>The meter every instrument here belongs to.</summary>
    public const string MeterName = "AudioClassifier";

    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestSeconds, _decodeSeconds, _featureSeconds, _inferenceSeconds;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _runsByShape, _paddingWindows, _clientDisconnects;
    private readonly Counter<double> _audioSeconds;

    public ServiceMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _requests = _meter.CreateCounter<long>("audioclf.requests", "{request}", "Classification requests by HTTP status.");
        _requestSeconds = Latency("audioclf.request.duration", "End-to-end /classify latency.");
        _decodeSeconds = Latency("audioclf.decode.duration", "Decoding the upload (WAV/MP3/Ogg to samples) per request.");
        _featureSeconds = Latency("audioclf.features.duration", "Resample + log-mel time per /classify request.");
        _inferenceSeconds = Latency("audioclf.inference.duration", "Time waiting for a batch and running the model per /classify request.");
        _batchSize = _meter.CreateHistogram<int>("audioclf.batch.size", "{window}", "Real (unpadded) windows per ONNX Runtime run.",
            tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets.Select(b => (int)b).ToArray() });
        _runsByShape = _meter.CreateCounter<long>("audioclf.batch.runs", "{run}", "ONNX Runtime runs by batch shape (the batch dimension the model ran at).");
        _paddingWindows = _meter.CreateCounter<long>("audioclf.batch.padding_windows", "{window}", "Zero windows added to runs to reach a batch shape (wasted work).");
        _audioSeconds = _meter.CreateCounter<double>("audioclf.audio", "s", "Seconds of audio classified.");
        _clientDisconnects = _meter.CreateCounter<long>("audioclf.client_disconnects", "{request}", "Requests abandoned by the client.");
        _meter.CreateObservableGauge("audioclf.resampler.cache", () => Resampler.CachedKernelBytes, "By",
            $"Bytes of exact resampling kernels cached (capped at {Resampler.CacheCapacityBytes}).");
    }

    private Histogram<double> Latency(string name, string description) =>
        _meter.CreateHistogram<double>(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    /// <summary>Gauges read from the model host at each scrape: queue depth, readiness, load failures, model and provider.</summary>
    public void Observe(ModelHost host)
    {
        _meter.CreateObservableGauge("audioclf.queue.depth", () => host.Current?.QueueDepth ?? 0, "{window}", "Windows waiting for a batch.");
        _meter.CreateObservableGauge("audioclf.model.ready", () => host.IsReady ? 1 : 0, null, "1 when a model is loaded and warmed up.");
        _meter.CreateObservableCounter("audioclf.model.load_failures", () => host.LoadFailures, "{failure}",
            "Failed attempts to load the model file (first load or reload; the previous model keeps serving).");
        _meter.CreateObservableGauge("audioclf.model.info", () => host.Current is { } engine
            ? [new Measurement<int>(1, new("model", engine.Contract.ModelName), new("provider", engine.ExecutionProvider))]
            : Array.Empty<Measurement<int>>(), null, "The model and execution provider in use.");
    }

    /// <summary>A model's batch shapes, listed (at 0 runs) before their first run.</summary>
    public void ShapesLoaded(IEnumerable<int> shapes)
    {
        foreach (int shape in shapes)
            _runsByShape.Add(0, new KeyValuePair<string, object?>("shape", shape));
    }

    public void RequestCompleted(int status, double seconds)
    {
        _requests.Add(1, new KeyValuePair<string, object?>("status", status));
        _requestSeconds.Record(seconds);
    }

    public void Decoded(TimeSpan elapsed, double audioSeconds)
    {
        _decodeSeconds.Record(elapsed.TotalSeconds);
        _audioSeconds.Add(audioSeconds);
    }

    public void Classified(TimeSpan features, TimeSpan inference)
    {
        _featureSeconds.Record(features.TotalSeconds);
        _inferenceSeconds.Record(inference.TotalSeconds);
    }

    public void BatchRun(BatchRunInfo run)
    {
        _batchSize.Record(run.Windows);
        _runsByShape.Add(1, new KeyValuePair<string, object?>("shape", run.Shape));
        _paddingWindows.Add(run.Padding);
    }

    public void ClientDisconnected() => _clientDisconnects.Add(1);
}
