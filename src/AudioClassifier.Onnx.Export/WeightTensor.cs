namespace AudioClassifier.Onnx.Export;

/// <summary>A named weight as plain data, so exporting needs no training framework.</summary>
public sealed record WeightTensor(float[] Data, long[] Shape)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}
