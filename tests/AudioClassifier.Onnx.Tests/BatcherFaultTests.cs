using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Onnx.Tests;

/// <summary>An inference failure fails only the requests in that run; the next run succeeds.</summary>
public sealed class BatcherFaultTests
{
    [Fact]
    public async Task ExceptionMidFlightFailsThatRequestOnlyAndTheNextSucceeds()
    {
        int calls = 0;
        float[] Run(float[] inputs, int count)
        {
            if (Interlocked.Increment(ref calls) == 2)
                throw new InvalidOperationException("injected inference failure");
            return Enumerable.Repeat(0.5f, count * 2).ToArray();
        }
        var options = new AudioClassifierOptions { ModelPath = "unused", MaxQueueDelayMilliseconds = 0 };
        using var batcher = new InferenceBatcher(Run, inputSize: 4, classes: 2, options, logger: null);

        Assert.Equal(2, (await batcher.RunAsync(new float[4], 1, CancellationToken.None)).Length);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.RunAsync(new float[4], 1, CancellationToken.None));
        Assert.Equal("injected inference failure", failure.Message);
        Assert.Equal(4, (await batcher.RunAsync(new float[8], 2, CancellationToken.None)).Length);
        Assert.Equal(0, batcher.QueueDepth);
    }
}
