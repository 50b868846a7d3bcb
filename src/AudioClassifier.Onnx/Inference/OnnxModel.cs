using AudioClassifier.Onnx.Contract;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// The single owner of an <see cref="InferenceSession"/>: loads the model, validates its contract against the
/// graph, picks the execution provider, warms up, and runs batches (thread-safe). Every native value is disposed.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = [ModelContract.InputName];
    private readonly string[] _outputNames = [ModelContract.ProbabilitiesOutput];

    private OnnxModel(InferenceSession session, ModelContract contract, string provider)
    {
        _session = session;
        Contract = contract;
        ExecutionProvider = provider;
    }

    public ModelContract Contract { get; }

    /// <summary>"CUDAExecutionProvider" or "CPUExecutionProvider": the provider actually in use.</summary>
    public string ExecutionProvider { get; }

    public int Classes => Contract.Labels.Count;

    /// <summary>Floats in one model input ([1, n_mels, frames]).</summary>
    public int InputSize => Contract.Features.NMels * Contract.Features.Frames;

    public static OnnxModel Load(AudioClassifierOptions options, ILogger? logger = null)
    {
        options.Validate();
        if (!File.Exists(options.ModelPath))
            throw new ModelLoadException($"Model file {options.ModelPath} does not exist.");
        var (session, provider) = CreateSession(options, logger);
        try
        {
            var contract = ModelContract.FromMetadata(session.ModelMetadata.CustomMetadataMap);
            CheckGraph(session, contract);
            var model = new OnnxModel(session, contract, provider);
            model.Run(new float[model.InputSize], 1); // warm-up: allocations and kernel selection happen now
            logger?.LogInformation("Loaded {Model} {Version} ({Classes} classes) on {Provider}", contract.ModelName, contract.ModelVersion, contract.Labels.Count, provider);
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="batch"/> inputs laid out back to back; returns [batch, classes] probabilities. The input
    /// memory is pinned and handed to ONNX Runtime in place, not copied.
    /// </summary>
    public float[] Run(Memory<float> inputs, int batch)
    {
        if (inputs.Length < batch * InputSize)
            throw new ArgumentException($"Expected {batch * InputSize} floats for a batch of {batch}.", nameof(inputs));
        var spec = Contract.Features;
        var shape = new long[] { batch, 1, spec.NMels, spec.Frames };
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs[..(batch * InputSize)], shape);
        using var outputs = _session.Run(_runOptions, _inputNames, [input], _outputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static (InferenceSession Session, string Provider) CreateSession(AudioClassifierOptions options, ILogger? logger)
    {
        if (options.ExecutionProvider != ExecutionProviderPreference.Cpu)
        {
            try
            {
                using var cudaOptions = BaseOptions(options);
                cudaOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                return (new InferenceSession(options.ModelPath, cudaOptions), "CUDAExecutionProvider");
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                if (options.ExecutionProvider == ExecutionProviderPreference.Cuda)
                    throw new ExecutionProviderUnavailableException($"ExecutionProvider is 'cuda' but CUDA cannot be used on this machine: {e.Message}", e);
                logger?.LogWarning("CUDA is not usable here ({Reason}); falling back to the CPU execution provider.", FirstLine(e.Message));
            }
        }
        try
        {
            using var cpuOptions = BaseOptions(options);
            return (new InferenceSession(options.ModelPath, cpuOptions), "CPUExecutionProvider");
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"{options.ModelPath} is not a loadable ONNX model: {FirstLine(e.Message)}", e);
        }
    }

    private static SessionOptions BaseOptions(AudioClassifierOptions options)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            EnableCpuMemArena = options.CpuMemoryArena,
        };
        if (options.IntraOpThreads > 0)
            so.IntraOpNumThreads = options.IntraOpThreads;
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
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
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
