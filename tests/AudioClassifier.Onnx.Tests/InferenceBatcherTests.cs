using System.Collections.Concurrent;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Onnx.Tests;

/// <summary>
/// The batcher's scheduling with a scripted model: an idle model runs the caller at once, a busy one queues and
/// batches, the queue limit sheds load, large requests are split, and a failed run fails only its own requests.
/// </summary>
public sealed class InferenceBatcherTests
{
    private const int InputSize = 4, Classes = 2;

    // Each window's "probabilities" are its first input value and the run's batch size, so order and grouping show.
    private static float[] Echo(Memory<float> inputs, int count)
    {
        var output = new float[count * Classes];
        for (int i = 0; i < count; i++)
        {
            output[i * Classes] = inputs.Span[i * InputSize];
            output[i * Classes + 1] = count;
        }
        return output;
    }

    private static float[] Windows(params float[] firstValues)
    {
        var inputs = new float[firstValues.Length * InputSize];
        for (int i = 0; i < firstValues.Length; i++)
            inputs[i * InputSize] = firstValues[i];
        return inputs;
    }

    private static AudioClassifierOptions Options(int maxBatch = 16, int maxQueue = 256, double window = 0) =>
        new() { ModelPath = "unused", MaxBatchSize = maxBatch, MaxQueueLength = maxQueue, MaxQueueDelayMilliseconds = window };

    [Fact]
    public async Task IdleModelRunsTheCallerImmediatelyOnItsOwnThread()
    {
        int runThread = 0;
        float[] Run(Memory<float> inputs, int count)
        {
            runThread = Environment.CurrentManagedThreadId;
            return Echo(inputs, count);
        }
        using var batcher = new InferenceBatcher(Run, InputSize, Classes, Options(), logger: null);

        var task = batcher.RunAsync(Windows(7), 1, CancellationToken.None);

        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(Environment.CurrentManagedThreadId, runThread);
        Assert.Equal(new[] { 7f, 1f }, await task);
    }

    [Fact]
    public async Task WithABatchingWindowALoneRequestWaitsForCompany()
    {
        var sizes = new ConcurrentQueue<int>();
        using var batcher = new InferenceBatcher(Echo, InputSize, Classes, Options(window: 300), logger: null);
        batcher.BatchRun += sizes.Enqueue;

        var first = batcher.RunAsync(Windows(1), 1, CancellationToken.None);
        Assert.False(first.IsCompleted);
        var second = batcher.RunAsync(Windows(2), 1, CancellationToken.None);

        Assert.Equal(new[] { 1f, 2f }, await first);
        Assert.Equal(new[] { 2f, 2f }, await second);
        Assert.Equal([2], sizes);
    }

    [Fact]
    public async Task RequestsArrivingWhileTheModelIsBusyShareTheNextRun()
    {
        using var gate = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var sizes = new ConcurrentQueue<int>();
        float[] Run(Memory<float> inputs, int count)
        {
            started.Set();
            gate.Wait();
            return Echo(inputs, count);
        }
        using var batcher = new InferenceBatcher(Run, InputSize, Classes, Options(), logger: null);
        batcher.BatchRun += sizes.Enqueue;

        var first = Task.Run(() => batcher.RunAsync(Windows(1), 1, CancellationToken.None));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var second = batcher.RunAsync(Windows(2), 1, CancellationToken.None);
        var third = batcher.RunAsync(Windows(3, 4), 2, CancellationToken.None);
        Assert.Equal(3, batcher.QueueDepth);
        gate.Set();

        Assert.Equal(new[] { 1f, 1f }, await first);
        Assert.Equal(new[] { 2f, 3f }, await second);
        Assert.Equal(new[] { 3f, 3f, 4f, 3f }, await third);
        Assert.Equal([1, 3], sizes);
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task FullQueueIsRefusedImmediatelyAndServedAgainOnceItDrains()
    {
        using var gate = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        float[] Run(Memory<float> inputs, int count)
        {
            started.Set();
            gate.Wait();
            return Echo(inputs, count);
        }
        using var batcher = new InferenceBatcher(Run, InputSize, Classes, Options(maxQueue: 2), logger: null);

        var running = Task.Run(() => batcher.RunAsync(Windows(1), 1, CancellationToken.None));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var queued = batcher.RunAsync(Windows(2, 3), 2, CancellationToken.None);
        var e = Assert.Throws<QueueFullException>(() => { _ = batcher.RunAsync(Windows(4), 1, CancellationToken.None); });
        Assert.Contains("queue is full (2 windows waiting)", e.Message);
        gate.Set();

        await running;
        Assert.Equal(new[] { 2f, 2f, 3f, 2f }, await queued);
        Assert.Equal(new[] { 5f, 1f }, await batcher.RunAsync(Windows(5), 1, CancellationToken.None));
    }

    [Fact]
    public async Task RequestsLargerThanABatchAreSplitAndReassembledInOrder()
    {
        var sizes = new ConcurrentQueue<int>();
        using var batcher = new InferenceBatcher(Echo, InputSize, Classes, Options(maxBatch: 4), logger: null);
        batcher.BatchRun += sizes.Enqueue;

        var output = await batcher.RunAsync(Windows(Enumerable.Range(0, 10).Select(i => (float)i).ToArray()), 10, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), output.Where((_, i) => i % Classes == 0));
        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task CancelledRequestIsNotRun()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        int runs = 0;
        using var batcher = new InferenceBatcher((inputs, count) => { runs++; return Echo(inputs, count); }, InputSize, Classes, Options(), logger: null);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batcher.RunAsync(Windows(1), 1, cts.Token));
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task ExceptionMidFlightFailsThatRequestOnlyAndTheNextSucceeds()
    {
        int calls = 0;
        float[] Run(Memory<float> inputs, int count)
        {
            if (Interlocked.Increment(ref calls) == 2)
                throw new InvalidOperationException("injected inference failure");
            return Echo(inputs, count);
        }
        using var batcher = new InferenceBatcher(Run, InputSize, Classes, Options(), logger: null);

        Assert.Equal(2, (await batcher.RunAsync(new float[4], 1, CancellationToken.None)).Length);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.RunAsync(new float[4], 1, CancellationToken.None));
        Assert.Equal("injected inference failure", failure.Message);
        Assert.Equal(4, (await batcher.RunAsync(new float[8], 2, CancellationToken.None)).Length);
        Assert.Equal(0, batcher.QueueDepth);
    }
}
