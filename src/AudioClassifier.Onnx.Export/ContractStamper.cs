using AudioClassifier.Onnx.Contract;
using Google.Protobuf;
using Onnx;

namespace AudioClassifier.Onnx.Export;

/// <summary>
/// Makes an ONNX classifier trained elsewhere (e.g. PyTorch's <c>torch.onnx.export</c> of a model on torchaudio
/// log-mel features) servable: checks its one input against the feature settings ([batch, 1, n_mels, frames], float)
/// and its one output against the labels ([batch, classes] logits), names them as the contract expects (input
/// <c>log_mel</c>, output <c>logits</c>), adds the softmax output <c>probabilities</c>, and writes the contract into
/// the metadata. What cannot match is refused with the reason; the graph's computation is not otherwise changed.
/// </summary>
public static class ContractStamper
{
    /// <summary>Reads <paramref name="source"/>, stamps <paramref name="contract"/> and writes <paramref name="destination"/>.</summary>
    /// <exception cref="ContractStampException">The graph cannot take the contract's features or give its labels.</exception>
    public static void Stamp(string source, ModelContract contract, string destination)
    {
        var model = Read(source);
        var graph = model.Graph;
        var spec = contract.Features;
        var input = SingleInput(graph);
        var dims = Dims(input);
        if (input.Type?.TensorType?.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new ContractStampException($"The graph's input '{input.Name}' is not float32.");
        if (dims.Count != 4 || !Fits(dims[1], 1) || !Fits(dims[2], spec.NMels) || !Fits(dims[3], spec.Frames))
            throw new ContractStampException($"The graph's input '{input.Name}' is {Describe(dims)}, but the feature settings give [batch, 1, {spec.NMels}, {spec.Frames}] (n_mels {spec.NMels}, frames {spec.Frames}): a different preset or settings, or a model for other features.");
        var outputs = graph.Output.ToList();
        var logits = outputs.Count == 1 ? outputs[0]
            : outputs.FirstOrDefault(o => o.Name == ModelContract.LogitsOutput)
              ?? throw new ContractStampException($"The graph has {outputs.Count} outputs ({string.Join(", ", outputs.Select(o => o.Name))}); stamp a graph with one output, its logits.");
        var outDims = Dims(logits);
        if (outDims.Count != 2 || !Fits(outDims[1], contract.Labels.Count))
            throw new ContractStampException($"The graph's output '{logits.Name}' is {Describe(outDims)}, but {contract.Labels.Count} labels need [batch, {contract.Labels.Count}] logits.");

        Rename(graph, input.Name, ModelContract.InputName);
        Rename(graph, logits.Name, ModelContract.LogitsOutput);
        graph.Output.Clear();
        graph.Output.Add(logits);
        var softmax = new NodeProto { OpType = "Softmax", Name = "audioclf_softmax" };
        softmax.Input.Add(ModelContract.LogitsOutput);
        softmax.Output.Add(ModelContract.ProbabilitiesOutput);
        softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(softmax);
        graph.Output.Add(OnnxGraphBuilder.TensorInfo(ModelContract.ProbabilitiesOutput, "batch", contract.Labels.Count));

        Write(model, contract, destination);
    }

    /// <summary>Rewrites the contract of an audioclf model (e.g. adding its open-set calibration), graph untouched.</summary>
    public static ModelContract Restamp(string source, Func<ModelContract, ModelContract> change, string destination)
    {
        var model = Read(source);
        var contract = change(ModelContract.FromMetadata(model.MetadataProps.ToDictionary(p => p.Key, p => p.Value)));
        Write(model, contract, destination);
        return contract;
    }

    // Replaces every audioclf.* metadata entry with the contract's (other producers' entries are kept) and writes.
    internal static void Write(ModelProto model, ModelContract contract, string destination)
    {
        var kept = model.MetadataProps.Where(p => !p.Key.StartsWith("audioclf.", StringComparison.Ordinal)).ToList();
        model.MetadataProps.Clear();
        model.MetadataProps.AddRange(kept);
        foreach (var (key, value) in contract.ToMetadata())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        File.WriteAllBytes(destination, model.ToByteArray());
    }

    /// <summary>What a file holds: producer, opset, inputs and outputs with their shapes, and its contract (null when
    /// it has none, or the reason it is unreadable).</summary>
    public static OnnxDescription Describe(string path)
    {
        var model = Read(path);
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        ModelContract? contract = null;
        string? problem = null;
        if (metadata.ContainsKey(ModelContract.Keys.ContractVersion))
        {
            try
            {
                contract = ModelContract.FromMetadata(metadata);
            }
            catch (ModelContractException e)
            {
                problem = e.Message;
            }
        }
        else
        {
            problem = "no audioclf contract (stamp one with `audioclf contract stamp`)";
        }
        return new OnnxDescription(
            $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max(),
            model.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => (i.Name, Describe(Dims(i)))).ToList(),
            model.Graph.Output.Select(o => (o.Name, Describe(Dims(o)))).ToList(),
            contract, problem);
    }

    internal static ModelProto Read(string path)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ContractStampException($"{Path.GetFileName(path)} is not an ONNX model: {e.Message}");
        }
    }

    private static ValueInfoProto SingleInput(GraphProto graph)
    {
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        return inputs.Count == 1
            ? inputs[0]
            : throw new ContractStampException($"The graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); an audioclf model takes one log-mel tensor.");
    }

    // A dimension: its fixed size, or null for a symbolic one (e.g. the batch).
    private static List<long?> Dims(ValueInfoProto value) =>
        value.Type?.TensorType?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : (long?)null).ToList() ?? [];

    private static bool Fits(long? dim, long size) => dim is null || dim == size;

    private static string Describe(IReadOnlyList<long?> dims) => "[" + string.Join(", ", dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?")) + "]";

    // Renames a value everywhere it is named: graph inputs and outputs, node inputs and outputs, value infos.
    private static void Rename(GraphProto graph, string from, string to)
    {
        if (from == to)
            return;
        if (graph.Node.Any(n => n.Output.Contains(to) || n.Input.Contains(to)) || graph.Initializer.Any(i => i.Name == to))
            throw new ContractStampException($"The graph already uses the name '{to}' for another value.");
        foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Where(v => v.Name == from))
            v.Name = to;
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                    node.Input[i] = to;
            }
            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == from)
                    node.Output[i] = to;
            }
        }
    }
}

/// <summary>An ONNX file as <see cref="ContractStamper.Describe"/> sees it.</summary>
public sealed record OnnxDescription(string Producer, long Opset, IReadOnlyList<(string Name, string Shape)> Inputs,
    IReadOnlyList<(string Name, string Shape)> Outputs, ModelContract? Contract, string? ContractProblem);

/// <summary>A model that cannot carry the contract asked for, with the reason.</summary>
public sealed class ContractStampException(string message) : Exception(message);
