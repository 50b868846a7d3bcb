using AudioClassifier.Onnx.Inference;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace AudioClassifier.Api.Hosting;

/// <summary>
/// Owns the live <see cref="AudioClassifierEngine"/>: loads it in the background with exponential backoff and jitter
/// (a model that arrives late, e.g. on a volume, becomes ready without a restart), optionally reloads it when the
/// file changes, and hands requests a lease so a replaced engine is disposed only after its last request finishes.
/// </summary>
public sealed class ModelHost(AudioClassifierOptions classifierOptions, IOptions<ServiceOptions> serviceOptions, Observability.ServiceMetrics metrics,
    ILogger<ModelHost> logger, ILogger<AudioClassifierEngine> engineLogger)
    : BackgroundService
{
    private readonly object _gate = new();
    private readonly ServiceOptions _options = serviceOptions.Value;
    private Slot? _current;
    private FileSystemWatcher? _watcher;
    private volatile string? _lastError = "model not loaded yet";
    private int _reloadRequested;
    private long _loadFailures;
    private ModelFileFingerprint? _loaded;

    /// <summary>True once a model is loaded and warmed up.</summary>
    public bool IsReady => Volatile.Read(ref _current) is not null;

    /// <summary>Why the model is not ready (null when ready). Names the model file, never its full path.</summary>
    public string? NotReadyReason => IsReady ? null : _lastError;

    /// <summary>While a model is served: why loading its replacement keeps failing (null when the last load succeeded).</summary>
    public string? ReloadError => IsReady ? _lastError : null;

    /// <summary>Load attempts that failed since start (first load and reloads).</summary>
    public long LoadFailures => Interlocked.Read(ref _loadFailures);

    /// <summary>The engine for one request, or null while no model is loaded. Dispose the lease when done.</summary>
    public Lease? Acquire()
    {
        lock (_gate)
        {
            var slot = _current;
            if (slot is null)
                return null;
            slot.Users++;
            return new Lease(this, slot);
        }
    }

    /// <summary>The engine currently loaded (for metadata), without a lease.</summary>
    public AudioClassifierEngine? Current => Volatile.Read(ref _current)?.Engine;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await LoadWithRetryAsync(stoppingToken).ConfigureAwait(false);
        if (_options.WatchModelFile)
            Watch();
        long lastPoll = Environment.TickCount64;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            // File events miss a swap of a symlinked directory (how Kubernetes updates ConfigMap, Secret and projected
            // volumes: "..data" is re-pointed) and files on network volumes: the file's identity is also polled.
            if (_options.WatchModelFile && Environment.TickCount64 - lastPoll >= _options.ModelPollSeconds * 1000)
            {
                lastPoll = Environment.TickCount64;
                if (ModelFileFingerprint.Of(classifierOptions.ModelPath) is { } now && now != _loaded)
                    Interlocked.Exchange(ref _reloadRequested, 1);
            }
            if (Interlocked.Exchange(ref _reloadRequested, 0) == 1 && !stoppingToken.IsCancellationRequested)
                await LoadWithRetryAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task LoadWithRetryAsync(CancellationToken stoppingToken)
    {
        var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(_options.ModelLoadMaxDelaySeconds),
            MaxRetryAttempts = int.MaxValue,
            OnRetry = args =>
            {
                Interlocked.Increment(ref _loadFailures);
                _lastError = WithoutDirectory(args.Outcome.Exception?.Message);
                logger.LogWarning("Model not loaded (attempt {Attempt}): {Reason}; retrying in {Delay}", args.AttemptNumber + 1, _lastError, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        }).Build();
        try
        {
            await pipeline.ExecuteAsync(ct =>
            {
                ct.ThrowIfCancellationRequested();
                var fingerprint = ModelFileFingerprint.Of(classifierOptions.ModelPath);
                var engine = new AudioClassifierEngine(classifierOptions, engineLogger);
                _loaded = fingerprint;
                engine.BatchRun += metrics.BatchRun;
                metrics.ShapesLoaded(engine.BatchShapes.Sizes);
                Swap(new Slot(engine));
                return ValueTask.CompletedTask;
            }, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Health and problem bodies are public: they name the model file, not where it lives on the host.
    private string? WithoutDirectory(string? message)
    {
        if (message is null)
            return null;
        string name = Path.GetFileName(classifierOptions.ModelPath);
        return message.Replace(Path.GetFullPath(classifierOptions.ModelPath), name, StringComparison.Ordinal)
            .Replace(classifierOptions.ModelPath, name, StringComparison.Ordinal);
    }

    private void Swap(Slot next)
    {
        Slot? previous;
        lock (_gate)
        {
            previous = _current;
            _current = next;
            _lastError = null;
            if (previous is not null)
                previous.Retired = true;
        }
        logger.LogInformation("Serving {Model} {Version}", next.Engine.Contract.ModelName, next.Engine.Contract.ModelVersion);
        if (previous is not null)
            Release(previous, retiring: true);
    }

    private void Release(Slot slot, bool retiring = false)
    {
        bool dispose;
        lock (_gate)
        {
            if (!retiring)
                slot.Users--;
            dispose = slot.Retired && slot.Users == 0 && !slot.Disposed;
            if (dispose)
                slot.Disposed = true;
        }
        if (dispose)
            slot.Engine.Dispose();
    }

    private void Watch()
    {
        var path = Path.GetFullPath(classifierOptions.ModelPath);
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
            return;
        _watcher = new FileSystemWatcher(dir, Path.GetFileName(path)) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
        FileSystemEventHandler changed = (_, _) => Interlocked.Exchange(ref _reloadRequested, 1);
        _watcher.Changed += changed;
        _watcher.Created += changed;
        _watcher.Renamed += (_, _) => Interlocked.Exchange(ref _reloadRequested, 1);
        _watcher.EnableRaisingEvents = true;
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        var slot = _current;
        _current = null;
        if (slot is not null)
        {
            slot.Retired = true;
            Release(slot, retiring: true);
        }
        base.Dispose();
    }

    /// <summary>A request's hold on one engine.</summary>
    public sealed class Lease(ModelHost host, Slot slot) : IDisposable
    {
        private int _disposed;

        public AudioClassifierEngine Engine => slot.Engine;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                host.Release(slot);
        }
    }

    /// <summary>A loaded engine and how many requests use it.</summary>
    public sealed class Slot(AudioClassifierEngine engine)
    {
        public AudioClassifierEngine Engine { get; } = engine;
        public int Users { get; set; }
        public bool Retired { get; set; }
        public bool Disposed { get; set; }
    }
}
