using Google.Protobuf;
using Onnx;

namespace AudioClassifier.Onnx.Export;

/// <summary>Nodes and constants appended to an existing graph (the open-set bank, the ensemble's joining nodes), and
/// the one sub-graph both need: an embedding scaled to unit length.</summary>
internal static class GraphEdits
{
    /// <summary>The reductions written here take their axes as an attribute, which ONNX allows up to opset 17.</summary>
    public static void RequireAxesAsAttribute(ModelProto model, string what)
    {
        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset is < 13 or > 17)
            throw new ContractStampException($"The model's opset is {opset}; the {what} nodes are written for opsets 13 to 17.");
    }

    /// <summary>A float32 constant (a scalar when <paramref name="dims"/> is empty).</summary>
    public static void Initializer(GraphProto graph, string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())) };
        t.Dims.AddRange(dims);
        graph.Initializer.Add(t);
    }

    /// <summary>A node with one output, named after it.</summary>
    public static void Node(GraphProto graph, string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    /// <summary>Each row of <paramref name="input"/> [batch, dim] divided by its length (floored at √<paramref name="epsilon"/>'s
    /// value); the values are named <paramref name="stem"/>_sum_squares, _norm and _unit, the last returned.</summary>
    public static string UnitLength(GraphProto graph, string input, string stem, string epsilon)
    {
        Node(graph, "ReduceSumSquare", [input], stem + "_sum_squares", OnnxGraphBuilder.Attr("axes", 1), OnnxGraphBuilder.Attr("keepdims", 1));
        Node(graph, "Max", [stem + "_sum_squares", epsilon], stem + "_sum_squares_safe");
        Node(graph, "Sqrt", [stem + "_sum_squares_safe"], stem + "_norm");
        Node(graph, "Div", [input, stem + "_norm"], stem + "_unit");
        return stem + "_unit";
    }
}
