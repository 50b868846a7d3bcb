namespace AudioClassifier.Onnx.Inference;

/// <summary>Which ONNX Runtime execution provider to use.</summary>
public enum ExecutionProviderPreference
{
    /// <summary>Try CUDA, fall back to CPU with a logged warning.</summary>
    Auto,
    /// <summary>CUDA or fail at load with the reason.</summary>
    Cuda,
    /// <summary>CPU only.</summary>
    Cpu,
}

/// <summary>Engine settings, bindable from configuration (section "Classifier").</summary>
public sealed record AudioClassifierOptions
{
    /// <summary>Path of the exported .onnx model.</summary>
    public string ModelPath { get; init; } = "";
    public ExecutionProviderPreference ExecutionProvider { get; init; } = ExecutionProviderPreference.Auto;
    /// <summary>The GPU the CUDA provider runs on.</summary>
    public int CudaDeviceId { get; init; }
    /// <summary>The CUDA provider's own settings (section "Classifier:Cuda").</summary>
    public CudaProviderSettings Cuda { get; init; } = new();
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>Let ONNX Runtime's intra-op threads spin-wait briefly for work instead of sleeping. Unset: on with the
    /// CPU provider (lower latency at low load), off with CUDA, where the model's work is on the GPU and spinning
    /// threads only burn the host CPU that decoding and features need (−17 % CPU per request with a stand-in model,
    /// docs/benchmarks.md). Turn off on CPU with batching off under high concurrency, where spinning threads take the
    /// cores that other requests' runs need.</summary>
    public bool? AllowSpinning { get; init; }
    /// <summary>ONNX Runtime's CPU memory arena: keeps activation memory for reuse (faster) but never returns it, so
    /// the process keeps the footprint of the largest batch it has run.</summary>
    public bool CpuMemoryArena { get; init; } = true;
    /// <summary>Gather concurrent callers' windows into shared runs.</summary>
    public bool DynamicBatching { get; init; } = true;
    /// <summary>Most windows per run; larger requests are split. 8 on CPU: per-clip cost is the same as at 16 with
    /// half the activation memory (docs/benchmarks.md); raise it on GPU.</summary>
    public int MaxBatchSize { get; init; } = 8;
    /// <summary>The only batch sizes a run may have, comma-separated and ascending, the largest equal to
    /// <see cref="MaxBatchSize"/> (e.g. "1,2,4,8"); a run is padded up to the smallest that holds it. Empty: the
    /// provider's default (<see cref="Inference.BatchShapes.For"/>): every size on CPU; on CUDA MaxBatchSize alone
    /// with dynamic batching (a change of shape between runs costs the CUDA provider ~0.2 s), powers of two without.</summary>
    public string BatchShapes { get; init; } = "";
    /// <summary>Longest a window waits for others to join its batch. 0 (the default) still batches whatever queued
    /// up during the previous run; measured best on CPU (docs/benchmarks.md).</summary>
    public double MaxQueueDelayMilliseconds { get; init; }
    /// <summary>Windows allowed to wait at once; more are refused immediately with <see cref="QueueFullException"/>.</summary>
    public int MaxQueueLength { get; init; } = 256;
    /// <summary>Longest audio accepted.</summary>
    public double MaxAudioSeconds { get; init; } = 600;
    /// <summary>Shortest audio accepted (shorter: refused as too short, HTTP 422); a few milliseconds of sound say
    /// nothing the model can classify.</summary>
    public double MinAudioSeconds { get; init; } = 0.1;
    public int DefaultTopK { get; init; } = 5;
    /// <summary>A window whose peak is below this level (dBFS) is silent: not classified, left out of the clip's mean
    /// and events; a clip of only silent windows is answered as silence. -60 dBFS is far below any recording's content
    /// and above 16-bit dither.</summary>
    public double SilenceThresholdDb { get; init; } = -60;
    /// <summary>The recognition score a clip needs to be recognised (a probability, or a training similarity in [-1, 1]
    /// for models calibrated on one), overriding the model's calibrated threshold (its contract's open_set); per
    /// request: min_score. Null: the model's.</summary>
    public double? MinScore { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new ArgumentException(problems[0]);
    }

    /// <summary>Every setting that cannot work, as "Classifier:Name ..." sentences (empty when all are usable).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Require(bool ok, string problem)
        {
            if (!ok)
                problems.Add(problem);
        }
        Require(!string.IsNullOrWhiteSpace(ModelPath), "Classifier:ModelPath is required.");
        Require(MaxBatchSize >= 1, $"Classifier:MaxBatchSize must be at least 1 (got {MaxBatchSize}).");
        Require(MaxQueueLength >= 1, $"Classifier:MaxQueueLength must be at least 1 (got {MaxQueueLength}).");
        Require(MaxQueueDelayMilliseconds >= 0, $"Classifier:MaxQueueDelayMilliseconds must be ≥ 0 (got {MaxQueueDelayMilliseconds}).");
        Require(MaxAudioSeconds > 0, $"Classifier:MaxAudioSeconds must be positive (got {MaxAudioSeconds}).");
        Require(MinAudioSeconds >= 0 && MinAudioSeconds <= MaxAudioSeconds, $"Classifier:MinAudioSeconds must be between 0 and MaxAudioSeconds (got {MinAudioSeconds}).");
        Require(IntraOpThreads >= 0, $"Classifier:IntraOpThreads must be ≥ 0 (got {IntraOpThreads}).");
        Require(DefaultTopK >= 1, $"Classifier:DefaultTopK must be at least 1 (got {DefaultTopK}).");
        Require(MinScore is null or (>= -1 and <= 1), $"Classifier:MinScore must be between -1 and 1 (got {MinScore}).");
        Require(SilenceThresholdDb <= 0, $"Classifier:SilenceThresholdDb must be ≤ 0 dBFS (got {SilenceThresholdDb}).");
        Require(CudaDeviceId >= 0, $"Classifier:CudaDeviceId must be ≥ 0 (got {CudaDeviceId}).");
        Require(Cuda.MemoryLimitBytes >= 0, $"Classifier:Cuda:MemoryLimitBytes must be ≥ 0, 0 for no limit (got {Cuda.MemoryLimitBytes}).");
        if (!string.IsNullOrWhiteSpace(BatchShapes) && MaxBatchSize >= 1)
        {
            try
            {
                Inference.BatchShapes.Parse(BatchShapes, MaxBatchSize);
            }
            catch (ArgumentException e)
            {
                problems.Add(e.Message.Split(" (Parameter")[0]);
            }
        }
        return problems;
    }
}

/// <summary>The batch queue is full; retry later (HTTP 503 with Retry-After).</summary>
public sealed class QueueFullException(string message) : Exception(message);

/// <summary>The requested execution provider cannot be used on this machine.</summary>
public sealed class ExecutionProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The model file is missing, not ONNX, or does not match its contract.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);
