using Onnx;

namespace AudioClassifier.Onnx.Export;

/// <summary>
/// How <see cref="ResNet18OnnxExporter"/> writes the parts of the network that depend on numeric precision: each
/// activation the next layers read, each convolution, the max pool. The float graph and the int8 QDQ graph share the
/// network's layout and differ only here.
/// </summary>
internal interface IGraphPrecision
{
    /// <summary>Marks <paramref name="value"/> (the float output of a layer) as the activation named <paramref name="point"/>,
    /// after a ReLU when <paramref name="relu"/>; returns a handle for <see cref="Read"/>.</summary>
    string Activation(string value, string point, bool relu);

    /// <summary>The float value a consumer of the activation reads.</summary>
    string Read(string handle);

    /// <summary>A convolution with folded BatchNorm of the activation <paramref name="input"/>; returns its float output.</summary>
    string Conv(string input, string name, float[] weight, long[] shape, float[] bias, int stride, int pad);

    /// <summary>ResNet's 3×3 stride-2 max pool of an activation; returns a handle.</summary>
    string MaxPool(string input);
}

/// <summary>float32 compute (weights float32, or float16 cast to float32 at load): activations are plain tensors.</summary>
internal sealed class FloatPrecision(OnnxGraphBuilder g) : IGraphPrecision
{
    public string Activation(string value, string point, bool relu) => relu ? g.Node("Relu", [value]) : value;

    public string Read(string handle) => handle;

    public string Conv(string input, string name, float[] weight, long[] shape, float[] bias, int stride, int pad) =>
        ResNet18OnnxExporter.ConvNode(g, input, g.Initializer(name + ".weight_folded", weight, shape), g.Initializer(name + ".bias_folded", bias, shape[0]), shape[2], stride, pad);

    public string MaxPool(string input) => ResNet18OnnxExporter.MaxPoolNode(g, input);
}

/// <summary>
/// int8 QDQ in the layout ONNX Runtime's CPU provider fuses into integer kernels (QLinearConv, QLinearAdd, uint8
/// MaxPool and average pool): every activation a layer reads is QuantizeLinear to uint8 with the range calibrated on
/// training clips, then DequantizeLinear (one per consumer); weights int8 symmetric per output channel; biases int32
/// at input scale × weight scale. A ReLU is folded into its QuantizeLinear (zero point 0 clamps negatives), as ONNX
/// Runtime's own quantiser does.
/// </summary>
internal sealed class Int8Precision(OnnxGraphBuilder g, IReadOnlyDictionary<string, ActivationRange> ranges) : IGraphPrecision
{
    private readonly Dictionary<string, (string Scale, string ZeroPoint, float ScaleValue)> _quantized = [];

    public string Activation(string value, string point, bool relu)
    {
        if (!ranges.TryGetValue(point, out var range))
            throw new ArgumentException($"No calibrated range for activation '{point}'.");
        if (relu && range.Min < 0)
            throw new ArgumentException($"Activation '{point}' follows a ReLU but its calibrated minimum is {range.Min}.");
        var (scale, zeroPoint) = range.UInt8Parameters();
        var scaleName = g.RawInitializer<float>($"{point}.scale", [scale], TensorProto.Types.DataType.Float);
        var zeroName = g.RawInitializer<byte>($"{point}.zero_point", [zeroPoint], TensorProto.Types.DataType.Uint8);
        return Quantize(value, scaleName, zeroName, scale);
    }

    public string Read(string handle)
    {
        var (scale, zero, _) = _quantized[handle];
        return g.Node("DequantizeLinear", [handle, scale, zero]);
    }

    public string Conv(string input, string name, float[] weight, long[] shape, float[] bias, int stride, int pad)
    {
        float inputScale = _quantized[input].ScaleValue;
        int outChannels = (int)shape[0], perOut = weight.Length / outChannels;
        var q = new sbyte[weight.Length];
        var weightScale = new float[outChannels];
        var biasScale = new float[outChannels];
        var qBias = new int[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            var row = weight.AsSpan(o * perOut, perOut);
            float max = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row)); // MaxMagnitude keeps the sign
            weightScale[o] = max > 0 ? max / 127f : 1f;
            // The bias must fit int32 at input scale × weight scale: a channel with tiny weights (BatchNorm γ near 0)
            // widens its weight scale rather than clamp its bias, as ONNX Runtime's quantiser does.
            weightScale[o] = Math.Max(weightScale[o], (float)(Math.Abs(bias[o]) / (inputScale * (double)int.MaxValue)) * 1.01f);
            for (int i = 0; i < perOut; i++)
                q[o * perOut + i] = (sbyte)Math.Clamp(MathF.Round(row[i] / weightScale[o], MidpointRounding.ToEven), -127, 127);
            biasScale[o] = inputScale * weightScale[o];
            qBias[o] = (int)Math.Clamp(Math.Round(bias[o] / (double)biasScale[o], MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }
        var w = g.Node("DequantizeLinear", [
            g.RawInitializer<sbyte>(name + ".weight_q", q, TensorProto.Types.DataType.Int8, shape),
            g.RawInitializer<float>(name + ".weight_scale", weightScale, TensorProto.Types.DataType.Float, outChannels),
            g.RawInitializer<sbyte>(name + ".weight_zero_point", new sbyte[outChannels], TensorProto.Types.DataType.Int8, outChannels),
        ], null, OnnxGraphBuilder.Attr("axis", 0));
        var b = g.Node("DequantizeLinear", [
            g.RawInitializer<int>(name + ".bias_q", qBias, TensorProto.Types.DataType.Int32, outChannels),
            g.RawInitializer<float>(name + ".bias_scale", biasScale, TensorProto.Types.DataType.Float, outChannels),
            g.RawInitializer<int>(name + ".bias_zero_point", new int[outChannels], TensorProto.Types.DataType.Int32, outChannels),
        ], null, OnnxGraphBuilder.Attr("axis", 0));
        return ResNet18OnnxExporter.ConvNode(g, Read(input), w, b, shape[2], stride, pad);
    }

    public string MaxPool(string input)
    {
        // Max commutes with a monotonic quantisation: the pooled values keep the input's scale and zero point.
        var (scale, zero, value) = _quantized[input];
        return Quantize(ResNet18OnnxExporter.MaxPoolNode(g, Read(input)), scale, zero, value);
    }

    private string Quantize(string value, string scale, string zeroPoint, float scaleValue)
    {
        var handle = g.Node("QuantizeLinear", [value, scale, zeroPoint]);
        _quantized[handle] = (scale, zeroPoint, scaleValue);
        return handle;
    }
}

/// <summary>The range an activation took over calibration clips.</summary>
public sealed record ActivationRange(float Min, float Max)
{
    /// <summary>Asymmetric uint8 parameters covering [min(Min, 0), max(Max, 0)], so 0 is exact (padding, ReLU).</summary>
    public (float Scale, byte ZeroPoint) UInt8Parameters()
    {
        float lo = Math.Min(Min, 0), hi = Math.Max(Max, 0);
        float scale = hi > lo ? (hi - lo) / 255f : 1f;
        return (scale, (byte)Math.Clamp(MathF.Round(-lo / scale, MidpointRounding.ToEven), 0, 255));
    }
}
