using AudioClassifier.Onnx.Contract;
using Google.Protobuf;
using Onnx;

namespace AudioClassifier.Onnx.Export;

/// <summary>
/// Writes the audio ResNet18 (torchvision state-dict names, 1-channel conv1, <c>fc</c> head, <c>input_mean</c>/<c>input_std</c>
/// standardisation; optionally conv1's second, band-centred channel, computed in the graph) as ONNX opset 17: input
/// <c>log_mel</c> [batch, 1, n_mels, frames] with a dynamic batch, outputs
/// <c>logits</c> and <c>probabilities</c> (softmax) [batch, classes], and <c>embedding</c> [batch, 512] (the pooled
/// features the head reads: for open-set scores and for callers who cluster or search sounds). Each BatchNorm is folded into the preceding
/// convolution in float64. The contract goes into metadata_props (its precision decides float32, float16 weights or
/// int8 QDQ) and a model card is written beside the file.
/// </summary>
public static class ResNet18OnnxExporter
{
    private const double BatchNormEpsilon = 1e-5;
    private const int Opset = 17;

    /// <summary>
    /// Writes the network at the contract's precision: float32, float16 weights, or int8 QDQ with
    /// <paramref name="activationRanges"/> (calibrated on training clips; see <see cref="Int8Precision"/>).
    /// </summary>
    public static void Export(IReadOnlyDictionary<string, WeightTensor> weights, ModelContract contract, string path,
        IReadOnlyDictionary<string, ActivationRange>? activationRanges = null)
    {
        var fc = Require(weights, "fc.weight");
        if (fc.Shape[0] != contract.Labels.Count)
            throw new ModelContractException($"The network has {fc.Shape[0]} outputs but the contract lists {contract.Labels.Count} labels.");
        bool int8 = contract.Precision == ModelContract.Precisions.Int8;
        if (int8 != activationRanges is not null)
            throw new ArgumentException("Activation ranges are needed for, and only for, an int8 export.", nameof(activationRanges));

        var g = new OnnxGraphBuilder(contract.Precision == ModelContract.Precisions.Float16Weights);
        IGraphPrecision p = int8 ? new Int8Precision(g, activationRanges!) : new FloatPrecision(g);
        var spec = contract.Features;
        g.Graph.Input.Add(OnnxGraphBuilder.TensorInfo(ModelContract.InputName, "batch", 1, spec.NMels, spec.Frames));
        var mean = g.Initializer("input_mean", Require(weights, "input_mean").Data, 1);
        var std = g.Initializer("input_std", Require(weights, "input_std").Data, 1);
        var x = p.Activation(g.Node("Div", [g.Node("Sub", [ModelContract.InputName, mean]), std]), "input", relu: false);
        if (Require(weights, "conv1.weight").Shape[1] == 2)
            x = CentredChannel(g, p, x);

        x = p.Activation(ConvBn(p, weights, x, "conv1", "bn1", stride: 2, pad: 3), "conv1", relu: true);
        x = p.MaxPool(x);
        for (int layer = 1; layer <= 4; layer++)
        {
            for (int block = 0; block < 2; block++)
            {
                string b = $"layer{layer}.{block}";
                int stride = layer > 1 && block == 0 ? 2 : 1;
                var y = p.Activation(ConvBn(p, weights, x, b + ".conv1", b + ".bn1", stride, 1), b + ".conv1", relu: true);
                y = p.Activation(ConvBn(p, weights, y, b + ".conv2", b + ".bn2", 1, 1), b + ".conv2", relu: false);
                var identity = weights.ContainsKey(b + ".downsample.0.weight")
                    ? p.Activation(ConvBn(p, weights, x, b + ".downsample.0", b + ".downsample.1", stride, 0), b + ".downsample", relu: false)
                    : x;
                x = p.Activation(g.Node("Add", [p.Read(y), p.Read(identity)]), b, relu: true);
            }
        }
        var pooled = p.Activation(g.Node("GlobalAveragePool", [p.Read(x)]), "pool", relu: false);
        var flat = g.Node("Flatten", [p.Read(pooled)], [ModelContract.EmbeddingOutput], OnnxGraphBuilder.Attr("axis", 1));
        var w = g.Initializer("fc.weight", fc.Data, fc.Shape);
        var bias = g.Initializer("fc.bias", Require(weights, "fc.bias").Data, fc.Shape[0]);
        g.Node("Gemm", [flat, w, bias], [ModelContract.LogitsOutput], OnnxGraphBuilder.Attr("transB", 1));
        g.Node("Softmax", [ModelContract.LogitsOutput], [ModelContract.ProbabilitiesOutput], OnnxGraphBuilder.Attr("axis", 1));
        g.Graph.Output.Add(OnnxGraphBuilder.TensorInfo(ModelContract.LogitsOutput, "batch", contract.Labels.Count));
        g.Graph.Output.Add(OnnxGraphBuilder.TensorInfo(ModelContract.ProbabilitiesOutput, "batch", contract.Labels.Count));
        g.Graph.Output.Add(OnnxGraphBuilder.TensorInfo(ModelContract.EmbeddingOutput, "batch", fc.Shape[1]));

        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "audioclf",
            ProducerVersion = typeof(ResNet18OnnxExporter).Assembly.GetName().Version?.ToString() ?? "1",
            ModelVersion = 1,
            DocString = $"{contract.ModelName} {contract.ModelVersion}: ResNet18 on log-mel spectrograms ({contract.Precision}); outputs logits, softmax probabilities and the 512-d embedding.",
            Graph = g.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in contract.ToMetadata())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, model.ToByteArray());
        File.WriteAllText(ModelCard.PathFor(path), ModelCard.Render(contract, Path.GetFileName(path)));
    }

    /// <summary>A conv1 with two input channels reads the standardised log-mel and the same minus each mel band's mean
    /// over the window (AudioResNet18's centred channel), computed here so the model's input stays one channel.</summary>
    private static string CentredChannel(OnnxGraphBuilder g, IGraphPrecision p, string input)
    {
        var x = p.Read(input);
        var bandMeans = g.Node("ReduceMean", [x], null, OnnxGraphBuilder.Attr("axes", 3), OnnxGraphBuilder.Attr("keepdims", 1));
        var centred = g.Node("Sub", [x, bandMeans]);
        return p.Activation(g.Node("Concat", [x, centred], null, OnnxGraphBuilder.Attr("axis", 1)), "input_centred", relu: false);
    }

    /// <summary>Conv (no bias) followed by BatchNorm, emitted as one Conv with folded weights and bias.</summary>
    private static string ConvBn(IGraphPrecision p, IReadOnlyDictionary<string, WeightTensor> weights, string input, string conv, string bn, int stride, int pad)
    {
        var w = Require(weights, conv + ".weight");
        var gamma = Require(weights, bn + ".weight").Data;
        var beta = Require(weights, bn + ".bias").Data;
        var mean = Require(weights, bn + ".running_mean").Data;
        var variance = Require(weights, bn + ".running_var").Data;
        long outChannels = w.Shape[0], perOut = w.Count / outChannels;
        var folded = new float[w.Data.Length];
        var bias = new float[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            double scale = gamma[o] / Math.Sqrt(variance[o] + BatchNormEpsilon);
            for (long i = 0; i < perOut; i++)
                folded[o * perOut + i] = (float)(w.Data[o * perOut + i] * scale);
            bias[o] = (float)(beta[o] - mean[o] * scale);
        }
        return p.Conv(input, conv, folded, w.Shape, bias, stride, pad);
    }

    internal static string ConvNode(OnnxGraphBuilder g, string input, string weight, string bias, long kernel, int stride, int pad) =>
        g.Node("Conv", [input, weight, bias], null,
            OnnxGraphBuilder.Attr("kernel_shape", kernel, kernel), OnnxGraphBuilder.Attr("strides", stride, stride), OnnxGraphBuilder.Attr("pads", pad, pad, pad, pad));

    internal static string MaxPoolNode(OnnxGraphBuilder g, string input) =>
        g.Node("MaxPool", [input], null, OnnxGraphBuilder.Attr("kernel_shape", 3, 3), OnnxGraphBuilder.Attr("strides", 2, 2), OnnxGraphBuilder.Attr("pads", 1, 1, 1, 1));

    private static WeightTensor Require(IReadOnlyDictionary<string, WeightTensor> weights, string name) =>
        weights.TryGetValue(name, out var w) ? w : throw new ArgumentException($"The weights have no tensor '{name}'; is this an audioclf ResNet18 state dict?");
}
