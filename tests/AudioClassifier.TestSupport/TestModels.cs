using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Export;

namespace AudioClassifier.TestSupport;

/// <summary>Real ONNX models written by the exporter from seeded random ResNet18 weights (no training framework).</summary>
public static class TestModels
{
    public static readonly string[] Labels = ["dog", "rain", "siren"];

    /// <summary>A small spec (fast to run) with 2 s windows every 1 s.</summary>
    public static FeatureSpec SmallSpec { get; } = FeatureSpec.Default with { NMels = 32, Frames = 44, HopLength = 1024, WindowSeconds = 2, WindowHopSeconds = 1 };

    public static ModelContract Contract(FeatureSpec? spec = null) => new()
    {
        Labels = Labels,
        Features = spec ?? SmallSpec,
        ModelName = "test-resnet18",
        ModelVersion = "0.0.1",
        Dataset = "synthetic",
        DatasetLicense = "CC0",
        TrainedAt = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero),
        MetricsJson = """{"accuracy":0.5}""",
    };

    public static string Write(string directory, ModelContract? contract = null, bool float16 = false, int seed = 1)
    {
        contract ??= Contract();
        var path = Path.Combine(directory, $"model-{Guid.NewGuid():N}.onnx");
        if (float16)
            contract = contract with { Precision = ModelContract.Precisions.Float16Weights };
        ResNet18OnnxExporter.Export(RandomWeights(contract.Labels.Count, seed), contract, path);
        return path;
    }

    /// <summary>
    /// A stand-in for <paramref name="likeModel"/> with the same contract (labels, feature spec) but almost no compute:
    /// mean of the log-mel → one linear layer → softmax. With it, a load test measures what the service costs around
    /// the model (HTTP, decoding, features, batching, JSON): the host CPU a GPU deployment is limited by.
    /// </summary>
    public static void WriteStandIn(string likeModel, string path)
    {
        var like = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(likeModel));
        var contract = ModelContract.FromMetadata(like.MetadataProps.ToDictionary(p => p.Key, p => p.Value));
        int classes = contract.Labels.Count;
        var graph = new global::Onnx.GraphProto { Name = "stand-in" };
        graph.Input.Add(Info(ModelContract.InputName, "batch", 1, contract.Features.NMels, contract.Features.Frames));
        var weights = new global::Onnx.TensorProto { Name = "w", DataType = (int)global::Onnx.TensorProto.Types.DataType.Float };
        weights.Dims.AddRange([classes, 1]);
        weights.FloatData.AddRange(Enumerable.Range(0, classes).Select(c => 0.01f * (c + 1)));
        var bias = new global::Onnx.TensorProto { Name = "b", DataType = (int)global::Onnx.TensorProto.Types.DataType.Float };
        bias.Dims.Add(classes);
        bias.FloatData.AddRange(Enumerable.Range(0, classes).Select(c => 0.1f * c));
        graph.Initializer.AddRange([weights, bias]);
        graph.Node.Add(Node("GlobalAveragePool", [ModelContract.InputName], "pooled"));
        graph.Node.Add(Node("Flatten", ["pooled"], "flat"));
        var gemm = Node("Gemm", ["flat", "w", "b"], ModelContract.LogitsOutput);
        gemm.Attribute.Add(new global::Onnx.AttributeProto { Name = "transB", Type = global::Onnx.AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        var softmax = Node("Softmax", [ModelContract.LogitsOutput], ModelContract.ProbabilitiesOutput);
        softmax.Attribute.Add(new global::Onnx.AttributeProto { Name = "axis", Type = global::Onnx.AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(softmax);
        graph.Output.Add(Info(ModelContract.LogitsOutput, "batch", classes));
        graph.Output.Add(Info(ModelContract.ProbabilitiesOutput, "batch", classes));
        var model = new global::Onnx.ModelProto { IrVersion = 8, ProducerName = "audioclf-stand-in", Graph = graph };
        model.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Domain = "", Version = 17 });
        model.MetadataProps.AddRange(like.MetadataProps);
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
    }

    private static global::Onnx.NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new global::Onnx.NodeProto { OpType = op, Name = op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static global::Onnx.ValueInfoProto Info(string name, params object[] dims)
    {
        var shape = new global::Onnx.TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string p ? new global::Onnx.TensorShapeProto.Types.Dimension { DimParam = p } : new global::Onnx.TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new global::Onnx.ValueInfoProto
        {
            Name = name,
            Type = new global::Onnx.TypeProto { TensorType = new global::Onnx.TypeProto.Types.Tensor { ElemType = (int)global::Onnx.TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static Dictionary<string, WeightTensor> RandomWeights(int classes, int seed)
    {
        var rng = new Random(seed);
        var w = new Dictionary<string, WeightTensor>();
        void Conv(string name, int o, int i, int k) => w[name + ".weight"] = Random(rng, Math.Sqrt(2.0 / (i * k * k)), o, i, k, k);
        void Bn(string name, int c)
        {
            w[name + ".weight"] = new WeightTensor(Enumerable.Range(0, c).Select(_ => (float)(0.8 + 0.4 * rng.NextDouble())).ToArray(), [c]);
            w[name + ".bias"] = new WeightTensor(Enumerable.Range(0, c).Select(_ => (float)(0.1 * (rng.NextDouble() - 0.5))).ToArray(), [c]);
            w[name + ".running_mean"] = new WeightTensor(Enumerable.Range(0, c).Select(_ => (float)(0.1 * (rng.NextDouble() - 0.5))).ToArray(), [c]);
            w[name + ".running_var"] = new WeightTensor(Enumerable.Range(0, c).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray(), [c]);
        }
        Conv("conv1", 64, 1, 7);
        Bn("bn1", 64);
        int inC = 64;
        foreach (var (layer, outC) in new[] { (1, 64), (2, 128), (3, 256), (4, 512) })
        {
            for (int block = 0; block < 2; block++)
            {
                string p = $"layer{layer}.{block}";
                int blockIn = block == 0 ? inC : outC;
                Conv(p + ".conv1", outC, blockIn, 3);
                Bn(p + ".bn1", outC);
                Conv(p + ".conv2", outC, outC, 3);
                Bn(p + ".bn2", outC);
                if (block == 0 && layer > 1)
                {
                    Conv(p + ".downsample.0", outC, blockIn, 1);
                    Bn(p + ".downsample.1", outC);
                }
            }
            inC = outC;
        }
        w["fc.weight"] = Random(rng, 0.05, classes, 512);
        w["fc.bias"] = new WeightTensor(new float[classes], [classes]);
        w["input_mean"] = new WeightTensor([-40f], [1]);
        w["input_std"] = new WeightTensor([20f], [1]);
        return w;
    }

    private static WeightTensor Random(Random rng, double scale, params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        for (long i = 0; i < n; i++)
            data[i] = (float)((rng.NextDouble() * 2 - 1) * scale * Math.Sqrt(3));
        return new WeightTensor(data, shape);
    }
}
