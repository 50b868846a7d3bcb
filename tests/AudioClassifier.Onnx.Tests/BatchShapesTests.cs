using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Onnx.Tests;

/// <summary>Which batch shapes a configuration gives and which shape a run of n windows is padded to.</summary>
public sealed class BatchShapesTests
{
    [Fact]
    public void ARunUsesTheSmallestShapeThatHoldsIt()
    {
        var shapes = BatchShapes.Parse(" 1, 2,4 ,8,16,32", 32);
        Assert.Equal([1, 2, 4, 8, 16, 32], shapes.Sizes);
        Assert.Equal([1, 2, 4, 4, 8, 8, 8, 8, 16, 32, 32], new[] { 1, 2, 3, 4, 5, 7, 8, 8, 9, 17, 32 }.Select(shapes.Fit));
        Assert.Throws<ArgumentOutOfRangeException>(() => shapes.Fit(33));
        Assert.Throws<ArgumentOutOfRangeException>(() => shapes.Fit(0));
    }

    [Fact]
    public void ProviderDefaultsAreEverySizeOnCpuAndOneShapeOnCudaWhenBatching()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], BatchShapes.For("", 8, cuda: false, dynamicBatching: true).Sizes);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], BatchShapes.For("", 8, cuda: false, dynamicBatching: false).Sizes);
        Assert.Equal([32], BatchShapes.For(null, 32, cuda: true, dynamicBatching: true).Sizes);
        Assert.Equal([24], BatchShapes.For("", 24, cuda: true, dynamicBatching: true).Sizes);
        Assert.Equal(24, BatchShapes.For("", 24, cuda: true, dynamicBatching: true).Fit(1)); // a lone window is padded to the one shape
        // Without batching a run holds one request: a one-window clip runs at 1, not padded to 32.
        Assert.Equal([1, 2, 4, 8, 16, 32], BatchShapes.For("", 32, cuda: true, dynamicBatching: false).Sizes);
        Assert.Equal([2, 6], BatchShapes.For("2,6", 6, cuda: true, dynamicBatching: true).Sizes);
    }

    [Theory]
    [InlineData("1,2,x", 8, "\"x\" is not a positive whole number")]
    [InlineData("0,8", 8, "\"0\" is not a positive whole number")]
    [InlineData("4,2,8", 8, "ascending order without repeats")]
    [InlineData("1,1,8", 8, "ascending order without repeats")]
    [InlineData("1,2,4", 8, "largest shape (4) must equal Classifier:MaxBatchSize (8)")]
    [InlineData(" , ", 8, "lists no shape")]
    public void BadShapesAreRefusedWithTheReason(string text, int max, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => BatchShapes.Parse(text, max));
        Assert.Contains(reason, e.Message);
        // The same check runs when the options are validated, before any model is loaded.
        Assert.Throws<ArgumentException>(() => new AudioClassifierOptions { ModelPath = "m.onnx", MaxBatchSize = max, BatchShapes = text }.Validate());
    }

    [Fact]
    public void CudaSettingsMapToOnnxRuntimeProviderOptions()
    {
        var options = new CudaProviderSettings
        {
            ConvolutionSearch = CudnnConvolutionSearch.Heuristic, MaxWorkspace = false,
            ArenaExtendStrategy = CudaArenaExtendStrategy.SameAsRequested, MemoryLimitBytes = 4L << 30,
        }.ToProviderOptions(deviceId: 1);
        Assert.Equal("1", options["device_id"]);
        Assert.Equal("HEURISTIC", options["cudnn_conv_algo_search"]);
        Assert.Equal("0", options["cudnn_conv_use_max_workspace"]);
        Assert.Equal("kSameAsRequested", options["arena_extend_strategy"]);
        Assert.Equal("4294967296", options["gpu_mem_limit"]);
        var defaults = new CudaProviderSettings().ToProviderOptions(0);
        Assert.Equal("EXHAUSTIVE", defaults["cudnn_conv_algo_search"]);
        Assert.False(defaults.ContainsKey("gpu_mem_limit"));
    }
}
