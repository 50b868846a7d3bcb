using System.Globalization;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// The batch sizes ONNX Runtime is ever run at. A run of n windows uses the smallest shape that holds n, padded with
/// zero windows whose outputs are dropped. On a GPU every change of batch dimension between runs costs the CUDA
/// provider hundreds of milliseconds (as if its cuDNN algorithm search ran again, even for shapes warmed up at load:
/// measured on an H200, docs/benchmarks.md), so the CUDA default with dynamic batching is one shape.
/// </summary>
public sealed class BatchShapes
{
    private readonly int[] _shapes;
    // _fit[n] = smallest shape ≥ n, for n in 1..Max (a lookup: the batcher asks once per run).
    private readonly int[] _fit;

    private BatchShapes(int[] shapes)
    {
        _shapes = shapes;
        _fit = new int[shapes[^1] + 1];
        int s = 0;
        for (int n = 1; n < _fit.Length; n++)
        {
            while (_shapes[s] < n)
                s++;
            _fit[n] = _shapes[s];
        }
    }

    /// <summary>The shapes, ascending.</summary>
    public IReadOnlyList<int> Sizes => _shapes;

    /// <summary>The largest shape: the most windows in one run.</summary>
    public int Max => _shapes[^1];

    /// <summary>The smallest shape that holds <paramref name="windows"/> (1 ≤ windows ≤ <see cref="Max"/>).</summary>
    public int Fit(int windows) =>
        windows >= 1 && windows <= Max ? _fit[windows] : throw new ArgumentOutOfRangeException(nameof(windows), windows, $"must be between 1 and {Max}.");

    /// <summary>
    /// The shapes for a provider: <paramref name="configured"/> ("1,2,4,8") when given, else the provider's default.
    /// CPU: every size from 1 to <paramref name="maxBatchSize"/> (a CPU run costs the same per window at any batch
    /// size and a new shape costs nothing measurable, so padding would only waste work: docs/benchmarks.md).
    /// CUDA with dynamic batching: <paramref name="maxBatchSize"/> alone, every run padded to it: with powers of two
    /// (1, 2, 4 ... 32), all warmed up at load, an H200 served 36 requests/s at concurrency 16, each change of shape
    /// costing ~0.2 s; with one shape 1 435. CUDA without batching (one request per run): powers of two up to
    /// <paramref name="maxBatchSize"/>, so a one-window clip runs at 1 (the batching-off figures were measured so).
    /// </summary>
    public static BatchShapes For(string? configured, int maxBatchSize, bool cuda, bool dynamicBatching)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return Parse(configured, maxBatchSize);
        if (!cuda)
            return new BatchShapes(Enumerable.Range(1, maxBatchSize).ToArray());
        if (dynamicBatching)
            return new BatchShapes([maxBatchSize]);
        var powers = new List<int>();
        for (int s = 1; s < maxBatchSize; s *= 2)
            powers.Add(s);
        powers.Add(maxBatchSize);
        return new BatchShapes([.. powers]);
    }

    /// <summary>Parses "1, 2, 4, 8": positive, ascending, no repeats, the largest equal to <paramref name="maxBatchSize"/>.</summary>
    public static BatchShapes Parse(string text, int maxBatchSize)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shapes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shapes[i]) || shapes[i] < 1)
                throw new ArgumentException($"Classifier:BatchShapes \"{text}\": \"{parts[i]}\" is not a positive whole number.", nameof(text));
            if (i > 0 && shapes[i] <= shapes[i - 1])
                throw new ArgumentException($"Classifier:BatchShapes \"{text}\" must be in ascending order without repeats.", nameof(text));
        }
        if (shapes.Length == 0)
            throw new ArgumentException("Classifier:BatchShapes lists no shape.", nameof(text));
        if (shapes[^1] != maxBatchSize)
            throw new ArgumentException($"Classifier:BatchShapes \"{text}\": the largest shape ({shapes[^1]}) must equal Classifier:MaxBatchSize ({maxBatchSize}).", nameof(text));
        return new BatchShapes(shapes);
    }

    public override string ToString() => string.Join(",", _shapes);
}

/// <summary>One ONNX Runtime run: the real windows in it and the batch shape it ran at (the rest is padding).</summary>
public readonly record struct BatchRunInfo(int Windows, int Shape)
{
    /// <summary>Zero windows added to reach the shape.</summary>
    public int Padding => Shape - Windows;
}
