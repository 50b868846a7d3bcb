using System.Buffers;

namespace AudioClassifier.Onnx.Inference;

/// <summary>Windows [Offset, Offset + Count) of a caller's input block (each window is one model input).</summary>
internal readonly record struct WindowBlock(float[] Inputs, int Offset, int Count);

/// <summary>
/// Runs the model only at the configured <see cref="BatchShapes"/>: windows from one or more callers are laid out
/// back to back, padded with zero windows up to the smallest shape that holds them, and only the real windows'
/// outputs are returned. The one place a run's batch dimension is chosen, for the batcher and the unbatched path.
/// </summary>
/// <param name="run">Runs a batch of the given shape; the token, when it can be cancelled, terminates the run.</param>
internal sealed class ShapedRunner(Func<Memory<float>, int, CancellationToken, float[]> run, int inputSize, int classes, BatchShapes shapes)
{
    public BatchShapes Shapes => shapes;

    /// <summary>Runs every window of <paramref name="blocks"/> (at most <see cref="BatchShapes.Max"/> in all) in one
    /// run; returns their [windows, classes] outputs in order. <paramref name="cancellationToken"/> terminates the run:
    /// pass one only when every window in it belongs to that token's request.</summary>
    public float[] Run(ReadOnlySpan<WindowBlock> blocks, CancellationToken cancellationToken, out BatchRunInfo info)
    {
        int total = 0;
        foreach (var b in blocks)
            total += b.Count;
        int shape = shapes.Fit(total);
        info = new BatchRunInfo(total, shape);
        // A lone block already at a shape runs from its own memory, no copy.
        if (blocks.Length == 1 && shape == total)
            return run(blocks[0].Inputs.AsMemory(blocks[0].Offset * inputSize, total * inputSize), shape, cancellationToken);

        var pooled = ArrayPool<float>.Shared.Rent(shape * inputSize);
        try
        {
            int at = 0;
            foreach (var b in blocks)
            {
                Array.Copy(b.Inputs, b.Offset * inputSize, pooled, at, b.Count * inputSize);
                at += b.Count * inputSize;
            }
            pooled.AsSpan(at, (shape - total) * inputSize).Clear();
            var output = run(pooled.AsMemory(0, shape * inputSize), shape, cancellationToken);
            return shape == total ? output : output.AsSpan(0, total * classes).ToArray();
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pooled);
        }
    }

    /// <summary>Runs <paramref name="count"/> windows of one request in as many runs as it takes; raises
    /// <paramref name="onRun"/> after each; stops between runs (and terminates the current one) when cancelled.</summary>
    public float[] RunAll(float[] inputs, int count, Action<BatchRunInfo>? onRun, CancellationToken cancellationToken)
    {
        if (count <= shapes.Max)
        {
            var only = Run([new WindowBlock(inputs, 0, count)], cancellationToken, out var info);
            onRun?.Invoke(info);
            return only;
        }
        var output = new float[count * classes];
        for (int offset = 0; offset < count; offset += shapes.Max)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var part = Run([new WindowBlock(inputs, offset, Math.Min(shapes.Max, count - offset))], cancellationToken, out var info);
            onRun?.Invoke(info);
            part.CopyTo(output, offset * classes);
        }
        return output;
    }
}
