using System.Globalization;

namespace AudioClassifier.Onnx.Inference;

/// <summary>How cuDNN picks a convolution algorithm for each new input shape (ONNX Runtime's cudnn_conv_algo_search).</summary>
public enum CudnnConvolutionSearch
{
    /// <summary>Times every algorithm for a new input shape, and again after a change of shape (measured on an H200:
    /// ~0.2 s each time): slowest set-up, fastest runs at a steady shape (ONNX Runtime's default).</summary>
    Exhaustive,
    /// <summary>cuDNN's heuristic choice: quick set-up, possibly slower runs.</summary>
    Heuristic,
    /// <summary>cuDNN's default algorithm, no search.</summary>
    Default,
}

/// <summary>How the CUDA memory arena grows (ONNX Runtime's arena_extend_strategy).</summary>
public enum CudaArenaExtendStrategy
{
    /// <summary>Doubles each time: few allocations, may reserve more than needed.</summary>
    NextPowerOfTwo,
    /// <summary>Grows by what is asked: tighter memory, more allocations.</summary>
    SameAsRequested,
}

/// <summary>
/// Settings of ONNX Runtime's CUDA execution provider, bound from "Classifier:Cuda"; each maps to one provider option.
/// Why they exist: a GPU host's memory and first-run latency are the operator's to trade, not ours to fix.
/// </summary>
public sealed record CudaProviderSettings
{
    public CudnnConvolutionSearch ConvolutionSearch { get; init; } = CudnnConvolutionSearch.Exhaustive;
    /// <summary>Let cuDNN use as much workspace as its fastest algorithm wants (cudnn_conv_use_max_workspace).</summary>
    public bool MaxWorkspace { get; init; } = true;
    public CudaArenaExtendStrategy ArenaExtendStrategy { get; init; } = CudaArenaExtendStrategy.NextPowerOfTwo;
    /// <summary>Most bytes the CUDA arena may hold (gpu_mem_limit); 0: no limit.</summary>
    public long MemoryLimitBytes { get; init; }

    /// <summary>The provider options by ONNX Runtime's names, for <c>OrtCUDAProviderOptions.UpdateOptions</c>.</summary>
    public Dictionary<string, string> ToProviderOptions(int deviceId)
    {
        var options = new Dictionary<string, string>
        {
            ["device_id"] = deviceId.ToString(CultureInfo.InvariantCulture),
            ["cudnn_conv_algo_search"] = ConvolutionSearch switch
            {
                CudnnConvolutionSearch.Heuristic => "HEURISTIC",
                CudnnConvolutionSearch.Default => "DEFAULT",
                _ => "EXHAUSTIVE",
            },
            ["cudnn_conv_use_max_workspace"] = MaxWorkspace ? "1" : "0",
            ["arena_extend_strategy"] = ArenaExtendStrategy == CudaArenaExtendStrategy.SameAsRequested ? "kSameAsRequested" : "kNextPowerOfTwo",
        };
        if (MemoryLimitBytes > 0)
            options["gpu_mem_limit"] = MemoryLimitBytes.ToString(CultureInfo.InvariantCulture);
        return options;
    }
}
