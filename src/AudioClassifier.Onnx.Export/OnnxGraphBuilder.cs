using Google.Protobuf;
using Onnx;

namespace AudioClassifier.Onnx.Export;

/// <summary>Small helper over OnnxSharp's protobuf types for writing a graph node by node.</summary>
internal sealed class OnnxGraphBuilder(bool float16Weights)
{
    private int _counter;

    public GraphProto Graph { get; } = new() { Name = "audioclf" };

    /// <summary>Adds a float initializer (stored as fp16 plus a Cast when <c>float16Weights</c>); returns the float32 value name.</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        var t = new TensorProto { Name = float16Weights ? name + "_fp16" : name };
        t.Dims.AddRange(dims);
        if (float16Weights)
        {
            t.DataType = (int)TensorProto.Types.DataType.Float16;
            var bytes = new byte[data.Length * 2];
            for (int i = 0; i < data.Length; i++)
                BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (Half)data[i]);
            t.RawData = ByteString.CopyFrom(bytes);
            Graph.Initializer.Add(t);
            Node("Cast", [t.Name], [name], Attr("to", (long)TensorProto.Types.DataType.Float));
            return name;
        }
        t.DataType = (int)TensorProto.Types.DataType.Float;
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds an initializer stored exactly as given (never cast to float16): quantised weights, scales, zero points.</summary>
    public string RawInitializer<T>(string name, ReadOnlySpan<T> data, TensorProto.Types.DataType type, params long[] dims) where T : unmanaged
    {
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
        Graph.Initializer.Add(t);
        return name;
    }

    public string Node(string op, string[] inputs, string[]? outputs = null, params AttributeProto[] attributes)
    {
        outputs ??= [$"{op.ToLowerInvariant()}_{_counter++}"];
        var node = new NodeProto { OpType = op, Name = $"{op}_{_counter++}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputs[0];
    }

    public static AttributeProto Attr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name };
        if (values.Length == 1 && name is "to" or "axis" or "group" or "transB" or "keepdims")
        {
            a.Type = AttributeProto.Types.AttributeType.Int;
            a.I = values[0];
        }
        else
        {
            a.Type = AttributeProto.Types.AttributeType.Ints;
            a.Ints.AddRange(values);
        }
        return a;
    }

    public static ValueInfoProto TensorInfo(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string p ? new TensorShapeProto.Types.Dimension { DimParam = p } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
