using System.Diagnostics;
using AudioClassifier.Onnx.Contract;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// The single owner of an <see cref="InferenceSession"/>: loads the model, validates its contract against the
/// graph, picks the execution provider, warms up every batch shape, and runs batches (thread-safe). Every native
/// value is disposed.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = [ModelContract.InputName];
    private readonly string[] _outputNames;

    private OnnxModel(InferenceSession session, ModelContract contract, string provider, BatchShapes shapes)
    {
        _session = session;
        Contract = contract;
        ExecutionProvider = provider;
        Shapes = shapes;
        HasFamiliarity = contract.OpenSet?.Score == OpenSetCalibration.Scores.TrainingSimilarity;
        _outputNames = HasFamiliarity ? [ModelContract.ProbabilitiesOutput, ModelContract.FamiliarityOutput] : [ModelContract.ProbabilitiesOutput];
    }

    public ModelContract Contract { get; }

    /// <summary>"CUDAExecutionProvider" or "CPUExecutionProvider": the provider actually in use.</summary>
    public string ExecutionProvider { get; }

    public int Classes => Contract.Labels.Count;

    /// <summary>The contract's open-set score is the graph's <c>familiarity</c> output: each output row then ends with it.</summary>
    public bool HasFamiliarity { get; }

    /// <summary>Floats per window in what <see cref="Run"/> returns: the class probabilities, then the familiarity when
    /// <see cref="HasFamiliarity"/>.</summary>
    public int RowWidth => Classes + (HasFamiliarity ? 1 : 0);

    /// <summary>The batch sizes this model is run at (every one warmed up at load).</summary>
    public BatchShapes Shapes { get; }

    /// <summary>How long the warm-up run of each shape took, in the order of <see cref="BatchShapes.Sizes"/>.</summary>
    public IReadOnlyList<TimeSpan> WarmUpTimes { get; private set; } = [];

    /// <summary>Floats in one model input ([1, n_mels, frames]).</summary>
    public int InputSize => Contract.Features.NMels * Contract.Features.Frames;

    public static OnnxModel Load(AudioClassifierOptions options, ILogger? logger = null)
    {
        options.Validate();
        if (!File.Exists(options.ModelPath))
            throw new ModelLoadException($"Model file {options.ModelPath} does not exist.");
        var (session, provider, why) = CreateSession(options, logger);
        try
        {
            var contract = ModelContract.FromMetadata(session.ModelMetadata.CustomMetadataMap);
            CheckGraph(session, contract);
            var shapes = BatchShapes.For(options.BatchShapes, options.MaxBatchSize, cuda: provider == CudaProvider, options.DynamicBatching);
            var model = new OnnxModel(session, contract, provider, shapes);
            var warmUp = model.WarmUp();
            logger?.LogInformation("Loaded {Model} {Version} ({Classes} classes) on {Provider} ({Why}); batch shapes {Shapes} warmed up in {WarmUpMs:0} ms",
                contract.ModelName, contract.ModelVersion, contract.Labels.Count, provider, why, shapes, warmUp.TotalMilliseconds);
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    // One run at every shape, so allocations and kernel selection happen before the model is served, not in the first
    // request that lands on it. (On CUDA the cuDNN algorithm search also runs again whenever the shape changes between
    // runs, which is why the CUDA default with batching is a single shape: docs/benchmarks.md.)
    private TimeSpan WarmUp()
    {
        var zeros = new float[Shapes.Max * InputSize];
        var times = new List<TimeSpan>();
        foreach (int shape in Shapes.Sizes)
        {
            long start = Stopwatch.GetTimestamp();
            Run(zeros, shape);
            times.Add(Stopwatch.GetElapsedTime(start));
        }
        WarmUpTimes = times;
        return times.Aggregate(TimeSpan.Zero, (a, b) => a + b);
    }

    /// <summary>
    /// Runs <paramref name="batch"/> inputs laid out back to back; returns [batch, <see cref="RowWidth"/>] rows
    /// (probabilities, then the familiarity when the model has one). The input
    /// memory is pinned and handed to ONNX Runtime in place, not copied. Cancelling <paramref name="cancellationToken"/>
    /// terminates the run inside ONNX Runtime (<see cref="RunOptions.Terminate"/>) and throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public float[] Run(Memory<float> inputs, int batch, CancellationToken cancellationToken = default)
    {
        if (inputs.Length < batch * InputSize)
            throw new ArgumentException($"Expected {batch * InputSize} floats for a batch of {batch}.", nameof(inputs));
        cancellationToken.ThrowIfCancellationRequested();
        var spec = Contract.Features;
        var shape = new long[] { batch, 1, spec.NMels, spec.Frames };
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs[..(batch * InputSize)], shape);
        // A run that can be cancelled gets its own RunOptions, whose terminate flag the token sets.
        using var ownOptions = cancellationToken.CanBeCanceled ? new RunOptions() : null;
        using var registration = ownOptions is null ? default : cancellationToken.Register(() => ownOptions.Terminate = true);
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = _session.Run(ownOptions ?? _runOptions, _inputNames, [input], _outputNames);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The model run was terminated: its request was cancelled.", cancellationToken);
        }
        using (outputs)
        {
            var probabilities = outputs[0].GetTensorDataAsSpan<float>();
            float[] rows;
            if (!HasFamiliarity)
                rows = probabilities.ToArray();
            else
            {
                var familiarity = outputs[1].GetTensorDataAsSpan<float>();
                rows = new float[batch * RowWidth];
                for (int b = 0; b < batch; b++)
                {
                    probabilities.Slice(b * Classes, Classes).CopyTo(rows.AsSpan(b * RowWidth));
                    rows[b * RowWidth + Classes] = familiarity[b];
                }
            }
            // Inputs are finite (the decoder refuses non-finite samples), so a NaN here is a defect of the model: fail
            // the run (a 500 that is logged and counted) rather than hand NaN to callers and JSON writers.
            for (int i = 0; i < rows.Length; i++)
            {
                if (!float.IsFinite(rows[i]))
                    throw new InvalidOperationException($"The model produced a non-finite {(i % RowWidth == Classes ? "familiarity" : "probability")} ({rows[i]}) for a batch of {batch}.");
            }
            return rows;
        }
    }

    private const string CudaProvider = "CUDAExecutionProvider", CpuProvider = "CPUExecutionProvider";

    // The provider and, for the log line, why it was chosen. CUDA is only tried where the probe finds it can work,
    // so a CPU-only host never gets ONNX Runtime's "failed to load the CUDA provider" error.
    private static (InferenceSession Session, string Provider, string Why) CreateSession(AudioClassifierOptions options, ILogger? logger)
    {
        OnnxRuntimeTelemetry.Off();
        if (options.ExecutionProvider == ExecutionProviderPreference.Cpu)
            return (CpuSession(options), CpuProvider, "ExecutionProvider is Cpu");
        var probe = CudaProbe.Result;
        if (!probe.Usable)
        {
            if (options.ExecutionProvider == ExecutionProviderPreference.Cuda)
                throw new ExecutionProviderUnavailableException($"ExecutionProvider is 'Cuda' but CUDA cannot be used on this machine: {probe.Reason}.");
            return (CpuSession(options), CpuProvider, $"ExecutionProvider is Auto and CUDA is not usable: {probe.Reason}");
        }
        try
        {
            using var cudaOptions = BaseOptions(options, cuda: true);
            OnnxRuntimeTelemetry.Off(); // the provider options log through the environment's logger
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(options.Cuda.ToProviderOptions(options.CudaDeviceId));
            cudaOptions.AppendExecutionProvider_CUDA(cuda);
            return (new InferenceSession(options.ModelPath, cudaOptions), CudaProvider, $"ExecutionProvider is {options.ExecutionProvider}; {probe.Reason}; device {options.CudaDeviceId}");
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            // Tell a broken model from a broken CUDA set-up: a model the CPU provider cannot load either is the model's fault.
            var cpu = CpuSession(options);
            if (options.ExecutionProvider == ExecutionProviderPreference.Cuda)
            {
                cpu.Dispose();
                throw new ExecutionProviderUnavailableException($"ExecutionProvider is 'Cuda' but CUDA cannot be used on this machine: {FirstLine(e.Message)}", e);
            }
            logger?.LogWarning("CUDA was found but failed to start ({Reason}); using the CPU execution provider.", FirstLine(e.Message));
            return (cpu, CpuProvider, $"ExecutionProvider is Auto and the CUDA provider failed to start: {FirstLine(e.Message)}");
        }
    }

    private static InferenceSession CpuSession(AudioClassifierOptions options)
    {
        try
        {
            using var cpuOptions = BaseOptions(options, cuda: false);
            return new InferenceSession(options.ModelPath, cpuOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"{options.ModelPath} is not a loadable ONNX model: {FirstLine(e.Message)}", e);
        }
    }

    private static SessionOptions BaseOptions(AudioClassifierOptions options, bool cuda)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            EnableCpuMemArena = options.CpuMemoryArena,
        };
        if (options.IntraOpThreads > 0)
            so.IntraOpNumThreads = options.IntraOpThreads;
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", (options.AllowSpinning ?? !cuda) ? "1" : "0");
        return so;
    }

    private static void CheckGraph(InferenceSession session, ModelContract contract)
    {
        if (!session.InputMetadata.TryGetValue(ModelContract.InputName, out var input))
            throw new ModelContractException($"The model has no input '{ModelContract.InputName}'.");
        var dims = input.Dimensions;
        var spec = contract.Features;
        if (dims.Length != 4 || dims[1] != 1 || dims[2] != spec.NMels || dims[3] != spec.Frames)
            throw new ModelContractException($"The model's input is [{string.Join(", ", dims)}] but its feature spec gives [batch, 1, {spec.NMels}, {spec.Frames}].");
        if (!session.OutputMetadata.TryGetValue(ModelContract.ProbabilitiesOutput, out var output))
            throw new ModelContractException($"The model has no output '{ModelContract.ProbabilitiesOutput}'.");
        if (output.Dimensions[^1] != contract.Labels.Count)
            throw new ModelContractException($"The model outputs {output.Dimensions[^1]} classes but its contract lists {contract.Labels.Count} labels.");
        if (contract.OpenSet?.Score == OpenSetCalibration.Scores.TrainingSimilarity
            && (!session.OutputMetadata.TryGetValue(ModelContract.FamiliarityOutput, out var familiarity) || familiarity.Dimensions.Length != 1))
            throw new ModelContractException($"The contract's open-set score is {OpenSetCalibration.Scores.TrainingSimilarity} but the model has no [batch] output '{ModelContract.FamiliarityOutput}'.");
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
