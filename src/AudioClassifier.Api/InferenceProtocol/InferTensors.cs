namespace AudioClassifier.Api.InferenceProtocol;

/// <summary>An input tensor of an Open Inference Protocol request, decoded from JSON, binary data or gRPC: FP32 values
/// or BYTES elements, with its declared shape.</summary>
public sealed record InferInput(string Name, string Datatype, long[] Shape, float[]? Fp32, byte[][]? Bytes)
{
    /// <summary>Elements the shape declares (its dimensions' product).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>An output the caller asked for: its name, Triton's classification extension (top k as
/// "score:index:label" strings; 0 = off) and whether it goes back as binary data.</summary>
public sealed record RequestedOutput(string Name, int Classification = 0, bool Binary = false);

/// <summary>An output tensor of the answer: FP32 values, BYTES strings or BOOL values.</summary>
public sealed record InferOutput(string Name, string Datatype, long[] Shape, float[]? Fp32, string[]? Strings, bool Binary)
{
    /// <summary>A BOOL tensor's values (one byte each in raw form).</summary>
    public bool[]? Bools { get; init; }
}

/// <summary>A request the protocol refuses, with the HTTP status (and gRPC code) that names the kind of problem.</summary>
public sealed class InferenceProtocolException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
