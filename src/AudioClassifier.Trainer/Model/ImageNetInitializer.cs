using System.Runtime.InteropServices;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Model;

/// <summary>
/// Initialises <see cref="AudioResNet18"/> from the ImageNet ResNet18 shipped as ONNX in the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 (a CNTK export: stages [2,2,2,3], no classifier). Its Conv/BatchNorm
/// pairs are taken in node order and mapped onto the stem, layer1–3 and the first two blocks of layer4 (in that export
/// each stage's 1×1 downsample precedes the stage's first block); every shape is checked. conv1 takes the sum of the
/// RGB filters, so a grey input excites it as a grey image would. BatchNorm scale and shift are taken; BatchNorm
/// running statistics are not (they describe 0–255 pixels). The head stays random.
/// </summary>
public static class ImageNetInitializer
{
    /// <summary>Where the build copies the ONNX file.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "pretrained", "resnet18-imagenet.onnx");

    /// <summary>Convolutions of the target network in the export's node order.</summary>
    internal static IReadOnlyList<string> ConvolutionOrder { get; } = BuildOrder();

    public static InitializationReport Apply(AudioResNet18 model, string? onnxPath = null)
    {
        onnxPath ??= DefaultPath;
        if (!File.Exists(onnxPath))
            throw new FileNotFoundException($"ImageNet ResNet18 weights not found at {onnxPath}; the build copies them from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (dotnet build restores it).", onnxPath);
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath)).Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var pairs = ConvBatchNormPairs(graph, initializers);
        if (pairs.Count < ConvolutionOrder.Count)
            throw new InvalidDataException($"{onnxPath} has {pairs.Count} Conv/BatchNorm pairs; at least {ConvolutionOrder.Count} are needed.");

        var state = model.state_dict();
        var done = new Dictionary<string, string>();
        using (no_grad())
        {
            for (int i = 0; i < ConvolutionOrder.Count; i++)
            {
                string conv = ConvolutionOrder[i], bn = BatchNormFor(conv);
                var (weight, scale, bias, mean, variance) = pairs[i];
                // Every tensor made here is held (and disposed) by a using: TorchSharp does not keep a Tensor alive
                // through the native call it is passed to, so a temporary the JIT no longer counts as live can be
                // finalised mid-call (a segfault in LibTorch, reproduced by TrainingUnderGcPressureTests).
                using var w = ToTensor(weight);
                if (conv == "conv1")
                {
                    using var summed = w.sum(1, keepdim: true);
                    if (model.CentredChannel)
                    {
                        using var both = AudioResNet18.HalvedIntoBothChannels(summed);
                        Copy(state, conv + ".weight", both, done, $"ImageNet {weight.Name} (RGB filters summed, halved into each of the two channels)");
                    }
                    else
                    {
                        Copy(state, conv + ".weight", summed, done, $"ImageNet {weight.Name} (RGB filters summed)");
                    }
                }
                else
                {
                    Copy(state, conv + ".weight", w, done, $"ImageNet {weight.Name}");
                }
                using var s = ToTensor(scale);
                using var b = ToTensor(bias);
                Copy(state, bn + ".weight", s, done, $"ImageNet {scale.Name}");
                Copy(state, bn + ".bias", b, done, $"ImageNet {bias.Name}");
                // The export's running statistics describe raw 0-255 RGB pixels (first-layer variances in the
                // thousands); on standardised spectrograms they would squash every activation in eval mode, so the
                // running mean/variance start fresh (0, 1) and adapt during training. Scale and shift transfer.
                _ = (mean, variance);
            }
        }
        var random = state.Keys.Where(k => !done.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        foreach (var k in random.Where(k => k.EndsWith(".running_mean", StringComparison.Ordinal) || k.EndsWith(".running_var", StringComparison.Ordinal)).ToList())
        {
            done[k] = "fresh (0 mean / 1 variance): ImageNet running statistics describe 0-255 pixels";
            random.Remove(k);
        }
        return new InitializationReport($"imagenet:{Path.GetFileName(onnxPath)} (Microsoft.ML.DnnImageFeaturizer.ResNet18)", done, random);
    }

    private static List<(TensorProto W, TensorProto Scale, TensorProto B, TensorProto Mean, TensorProto Var)> ConvBatchNormPairs(
        GraphProto graph, Dictionary<string, TensorProto> init)
    {
        var pairs = new List<(TensorProto, TensorProto, TensorProto, TensorProto, TensorProto)>();
        var consumers = graph.Node.Where(n => n.OpType == "BatchNormalization").ToDictionary(n => n.Input[0]);
        foreach (var node in graph.Node.Where(n => n.OpType == "Conv"))
        {
            if (!consumers.TryGetValue(node.Output[0], out var bn) || !init.TryGetValue(node.Input[1], out var w))
                continue;
            pairs.Add((w, init[bn.Input[1]], init[bn.Input[2]], init[bn.Input[3]], init[bn.Input[4]]));
        }
        return pairs;
    }

    private static void Copy(Dictionary<string, Tensor> state, string name, Tensor source, Dictionary<string, string> done, string origin)
    {
        if (!state.TryGetValue(name, out var target))
            throw new InvalidOperationException($"The network has no tensor '{name}'.");
        if (!target.shape.SequenceEqual(source.shape))
            throw new InvalidDataException($"Shape mismatch for {name}: network [{string.Join(", ", target.shape)}], ImageNet [{string.Join(", ", source.shape)}].");
        target.copy_(source);
        done[name] = origin;
    }

    private static Tensor ToTensor(TensorProto t)
    {
        float[] data = t.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray()
            : t.FloatData.ToArray();
        return tensor(data, t.Dims.ToArray());
    }

    private static string BatchNormFor(string conv) =>
        conv == "conv1" ? "bn1"
        : conv.EndsWith("downsample.0", StringComparison.Ordinal) ? conv[..^1] + "1"
        : conv[..^5] + "bn" + conv[^1];

    private static List<string> BuildOrder()
    {
        var order = new List<string> { "conv1" };
        for (int layer = 1; layer <= 4; layer++)
        {
            if (layer > 1)
                order.Add($"layer{layer}.0.downsample.0");
            for (int block = 0; block < 2; block++)
            {
                order.Add($"layer{layer}.{block}.conv1");
                order.Add($"layer{layer}.{block}.conv2");
            }
        }
        return order;
    }
}
