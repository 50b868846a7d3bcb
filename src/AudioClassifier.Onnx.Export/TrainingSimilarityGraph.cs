using AudioClassifier.Onnx.Contract;
using Onnx;

namespace AudioClassifier.Onnx.Export;

/// <summary>
/// Adds the open-set score <see cref="OpenSetCalibration.Scores.TrainingSimilarity"/> to an audioclf model: the
/// embeddings of its training clips, unit length, become a constant bank, and the output <c>familiarity</c> [batch]
/// is the cosine similarity of each input's embedding to its nearest bank row (deep nearest neighbours, Sun et al.
/// 2022). Optionally a second bank holds known outliers (synthetic noise, tones, speech...): an input whose cosine
/// distance to the nearest outlier is below a ratio of its distance to the nearest training clip gets familiarity -1.
/// (Measured on ESC-10: the training similarity alone takes white noise for rain and tones for sneezes; the outlier
/// bank rejects them without changing how real out-of-domain recordings score. A ratio, not a margin of similarities,
/// because white noise sits at 0.98 from rain: no margin on a cosine capped at 1 could separate it.) In the graph
/// rather than in the engine, so the model file stays the one thing a deployment needs, and every runtime (CPU, CUDA,
/// a KServe predictor) computes the same score.
/// </summary>
public static class TrainingSimilarityGraph
{
    /// <summary>Reads <paramref name="source"/> (which must have the <c>embedding</c> output), adds the bank and the
    /// <c>familiarity</c> output, applies <paramref name="change"/> to its contract and writes <paramref name="destination"/>.</summary>
    public static ModelContract Add(string source, IReadOnlyList<float[]> trainingEmbeddings, Func<ModelContract, ModelContract> change, string destination) =>
        Add(source, trainingEmbeddings, [], 0, change, destination);

    /// <summary>As <see cref="Add(string, IReadOnlyList{float[]}, Func{ModelContract, ModelContract}, string)"/>, with a
    /// bank of <paramref name="outlierEmbeddings"/>: familiarity is -1 where 1 - (similarity to the nearest outlier) is
    /// below <paramref name="outlierRatio"/> × (1 - similarity to the nearest training clip).</summary>
    public static ModelContract Add(string source, IReadOnlyList<float[]> trainingEmbeddings, IReadOnlyList<float[]> outlierEmbeddings, double outlierRatio,
        Func<ModelContract, ModelContract> change, string destination)
    {
        var model = ContractStamper.Read(source);
        var graph = model.Graph;
        if (!graph.Output.Any(o => o.Name == ModelContract.EmbeddingOutput))
            throw new ContractStampException($"The model has no '{ModelContract.EmbeddingOutput}' output; re-export it with this version of audioclf-train.");
        if (graph.Output.Any(o => o.Name == ModelContract.FamiliarityOutput))
            throw new ContractStampException($"The model already has a '{ModelContract.FamiliarityOutput}' output.");
        GraphEdits.RequireAxesAsAttribute(model, "similarity");
        if (graph.Initializer.Any(i => i.Name.StartsWith("open_set.", StringComparison.Ordinal)) || graph.Node.Any(n => n.Output.Any(o => o.StartsWith("open_set.", StringComparison.Ordinal))))
            throw new ContractStampException("The model already has open_set.* values.");
        if (trainingEmbeddings.Count == 0)
            throw new ArgumentException("At least one training embedding is needed.", nameof(trainingEmbeddings));
        if (outlierRatio is < 0 or > 10 || double.IsNaN(outlierRatio))
            throw new ArgumentOutOfRangeException(nameof(outlierRatio), outlierRatio, "The outlier ratio compares two cosine distances; it must be in [0, 10].");
        int dim = trainingEmbeddings[0].Length;
        GraphEdits.Initializer(graph, "open_set.training_bank", Bank(trainingEmbeddings, dim), dim, trainingEmbeddings.Count);
        GraphEdits.Initializer(graph, "open_set.similarity_epsilon", [1e-12f]);
        GraphEdits.UnitLength(graph, ModelContract.EmbeddingOutput, "open_set.embedding", "open_set.similarity_epsilon");
        GraphEdits.Node(graph, "MatMul", ["open_set.embedding_unit", "open_set.training_bank"], "open_set.training_similarities");
        if (outlierEmbeddings.Count == 0)
            GraphEdits.Node(graph, "ReduceMax", ["open_set.training_similarities"], ModelContract.FamiliarityOutput, OnnxGraphBuilder.Attr("axes", 1), OnnxGraphBuilder.Attr("keepdims", 0));
        else
        {
            GraphEdits.Node(graph, "ReduceMax", ["open_set.training_similarities"], "open_set.training_similarity", OnnxGraphBuilder.Attr("axes", 1), OnnxGraphBuilder.Attr("keepdims", 0));
            GraphEdits.Initializer(graph, "open_set.outlier_bank", Bank(outlierEmbeddings, dim), dim, outlierEmbeddings.Count);
            GraphEdits.Initializer(graph, "open_set.outlier_ratio", [(float)outlierRatio]);
            GraphEdits.Initializer(graph, "open_set.one", [1f]);
            GraphEdits.Initializer(graph, "open_set.nearer_to_outlier_value", [-1f]);
            GraphEdits.Node(graph, "MatMul", ["open_set.embedding_unit", "open_set.outlier_bank"], "open_set.outlier_similarities");
            GraphEdits.Node(graph, "ReduceMax", ["open_set.outlier_similarities"], "open_set.outlier_similarity", OnnxGraphBuilder.Attr("axes", 1), OnnxGraphBuilder.Attr("keepdims", 0));
            GraphEdits.Node(graph, "Sub", ["open_set.one", "open_set.outlier_similarity"], "open_set.outlier_distance");
            GraphEdits.Node(graph, "Sub", ["open_set.one", "open_set.training_similarity"], "open_set.training_distance");
            GraphEdits.Node(graph, "Mul", ["open_set.training_distance", "open_set.outlier_ratio"], "open_set.training_distance_scaled");
            GraphEdits.Node(graph, "Less", ["open_set.outlier_distance", "open_set.training_distance_scaled"], "open_set.nearer_to_outlier");
            GraphEdits.Node(graph, "Where", ["open_set.nearer_to_outlier", "open_set.nearer_to_outlier_value", "open_set.training_similarity"], ModelContract.FamiliarityOutput);
        }
        graph.Output.Add(OnnxGraphBuilder.TensorInfo(ModelContract.FamiliarityOutput, "batch"));
        var contract = change(ModelContract.FromMetadata(model.MetadataProps.ToDictionary(p => p.Key, p => p.Value)));
        ContractStamper.Write(model, contract, destination);
        return contract;
    }

    // Embeddings as a [dim, count] matrix whose columns are unit length: MatMul with a unit embedding gives cosines.
    private static float[] Bank(IReadOnlyList<float[]> embeddings, int dim)
    {
        int count = embeddings.Count;
        var bank = new float[dim * count];
        for (int j = 0; j < count; j++)
        {
            var e = embeddings[j];
            if (e.Length != dim)
                throw new ArgumentException($"Embedding {j} has {e.Length} values, not {dim}.", nameof(embeddings));
            double norm = Math.Sqrt(e.Sum(v => (double)v * v));
            for (int i = 0; i < dim; i++)
                bank[i * count + j] = norm > 0 ? (float)(e[i] / norm) : 0;
        }
        return bank;
    }
}
