using AudioClassifier.Onnx.Export;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Model;

/// <summary>
/// Collects the range each activation of <see cref="AudioResNet18"/> takes while clips pass through it, under the
/// names the int8 export quantises (<c>input</c>, <c>input_centred</c> when conv1 reads two channels, <c>conv1</c>, <c>layerL.B.conv1|conv2|downsample</c>, <c>layerL.B</c>,
/// <c>pool</c>): the calibration of static quantisation.
/// </summary>
public sealed class ActivationRecorder
{
    private readonly Dictionary<string, ActivationRange> _ranges = [];

    public IReadOnlyDictionary<string, ActivationRange> Ranges => _ranges;

    /// <summary>Widens <paramref name="point"/>'s range to cover <paramref name="activation"/>.</summary>
    public void Observe(string point, Tensor activation)
    {
        using var _ = no_grad();
        using var min = activation.min();
        using var max = activation.max();
        float lo = min.item<float>(), hi = max.item<float>();
        _ranges[point] = _ranges.TryGetValue(point, out var r) ? new ActivationRange(Math.Min(r.Min, lo), Math.Max(r.Max, hi)) : new ActivationRange(lo, hi);
    }
}
