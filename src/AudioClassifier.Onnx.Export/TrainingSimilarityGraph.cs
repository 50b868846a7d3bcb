using AudioClassifier.Onnx.Contract;
using Google.Protobuf;
using Onnx;

namespace AudioClassifier.Onnx.Export;

/// <summary>
/// Adds the open-set score <see cref="OpenSetCalibration.Scores.TrainingSimilarity"/> to an audioclf model: the
/// embeddings of its training clips, unit length, become a constant bank, and the output <c>familiarity</c> [batch]
/// is the cosine similarity of each input's embedding to its nearest bank row (deep nearest neighbours, Sun et al.
/// 2022). In the graph rather than in the engine, so the model file stays the one thing a deployment needs, and every
/// runtime (CPU, CUDA, a KServe predictor) computes the same score.
/// </summary>
public static class TrainingSimilarityGraph
{
    /// <summary>Reads <paramref name="source"/> (which must have the <c>embedding</c> output), adds the bank and the
    /// <c>familiarity</c> output, applies <paramref name="change"/> to its contract and writes <paramref name="destination"/>.</summary>
    public static ModelContract Add(string source, IReadOnlyList<float[]> trainingEmbeddings, Func<ModelContract, ModelContract> change, string destination)
    {
        var model = ContractStamper.Read(source);
        var graph = model.Graph;
        if (!graph.Output.Any(o => o.Name == ModelContract.EmbeddingOutput))
            throw new ContractStampException($"The model has no '{ModelContract.EmbeddingOutput}' output; re-export it with this version of audioclf-train.");
        if (graph.Output.Any(o => o.Name == ModelContract.FamiliarityOutput))
            throw new ContractStampException($"The model already has a '{ModelContract.FamiliarityOutput}' output.");
        if (trainingEmbeddings.Count == 0)
            throw new ArgumentException("At least one training embedding is needed.", nameof(trainingEmbeddings));
        int dim = trainingEmbeddings[0].Length, count = trainingEmbeddings.Count;
        // The bank transposed, [dim, count], each column unit length: MatMul gives cosine similarities.
        var bank = new float[dim * count];
        for (int j = 0; j < count; j++)
        {
            var e = trainingEmbeddings[j];
            if (e.Length != dim)
                throw new ArgumentException($"Embedding {j} has {e.Length} values, not {dim}.", nameof(trainingEmbeddings));
            double norm = Math.Sqrt(e.Sum(v => (double)v * v));
            for (int i = 0; i < dim; i++)
                bank[i * count + j] = norm > 0 ? (float)(e[i] / norm) : 0;
        }
        Initializer(graph, "training_bank", bank, dim, count);
        Initializer(graph, "similarity_epsilon", [1e-12f]);
        Node(graph, "ReduceSumSquare", [ModelContract.EmbeddingOutput], "embedding_sum_squares", OnnxGraphBuilder.Attr("axes", 1), OnnxGraphBuilder.Attr("keepdims", 1));
        Node(graph, "Max", ["embedding_sum_squares", "similarity_epsilon"], "embedding_sum_squares_safe");
        Node(graph, "Sqrt", ["embedding_sum_squares_safe"], "embedding_norm");
        Node(graph, "Div", [ModelContract.EmbeddingOutput, "embedding_norm"], "embedding_unit");
        Node(graph, "MatMul", ["embedding_unit", "training_bank"], "training_similarities");
        Node(graph, "ReduceMax", ["training_similarities"], ModelContract.FamiliarityOutput, OnnxGraphBuilder.Attr("axes", 1), OnnxGraphBuilder.Attr("keepdims", 0));
        graph.Output.Add(OnnxGraphBuilder.TensorInfo(ModelContract.FamiliarityOutput, "batch"));
        var contract = change(ModelContract.FromMetadata(model.MetadataProps.ToDictionary(p => p.Key, p => p.Value)));
        ContractStamper.Write(model, contract, destination);
        return contract;
    }

    private static void Initializer(GraphProto graph, string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())) };
        t.Dims.AddRange(dims);
        graph.Initializer.Add(t);
    }

    private static void Node(GraphProto graph, string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = "open_set_" + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }
}
