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

    private static AudioClassifierOptions Options(int maxBatch = 16, int maxQueue = 256, double window = 0, string shapes = "") =>
        new() { ModelPath = "unused", MaxBatchSize = maxBatch, MaxQueueLength = maxQueue, MaxQueueDelayMilliseconds = window, BatchShapes = shapes };

    private static InferenceBatcher Batcher(Func<Memory<float>, int, float[]> run, AudioClassifierOptions options) =>
        new(new ShapedRunner((inputs, count, _) => run(inputs, count), InputSize, Classes, BatchShapes.For(options.BatchShapes, options.MaxBatchSize, cuda: false, options.DynamicBatching)), options, logger: null);

    [Fact]
    public async Task IdleModelRunsTheCallerImmediatelyOnItsOwnThread()
    {
        int runThread = 0;
        float[] Run(Memory<float> inputs, int count)
        {
            runThread = Environment.CurrentManagedThreadId;
            return Echo(inputs, count);
        }
        using var batcher = Batcher(Run, Options());

        var task = batcher.RunAsync(Windows(7), 1, CancellationToken.None);

        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(Environment.CurrentManagedThreadId, runThread);
        Assert.Equal(new[] { 7f, 1f }, await task);
    }

    [Fact]
    public async Task WithABatchingWindowALoneRequestWaitsForCompany()
    {
        var sizes = new ConcurrentQueue<int>();
        // A long window that a full batch (2) ends at once: a stalled test thread cannot let the lone request go alone.
        using var batcher = Batcher(Echo, Options(maxBatch: 2, window: 10_000));
        batcher.BatchRun += run => sizes.Enqueue(run.Windows);

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
        using var model = new HeldModel();
        var sizes = new ConcurrentQueue<int>();
        using var batcher = Batcher(model.Run, Options());
        batcher.BatchRun += run => sizes.Enqueue(run.Windows);

        var first = Task.Run(() => batcher.RunAsync(Windows(1), 1, CancellationToken.None));
        model.WaitUntilBusy();
        var second = batcher.RunAsync(Windows(2), 1, CancellationToken.None);
        var third = batcher.RunAsync(Windows(3, 4), 2, CancellationToken.None);
        Assert.Equal(3, batcher.QueueDepth);
        model.Release();

        Assert.Equal(new[] { 1f, 1f }, await first);
        Assert.Equal(new[] { 2f, 3f }, await second);
        Assert.Equal(new[] { 3f, 3f, 4f, 3f }, await third);
        Assert.Equal([1, 3], sizes);
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task FullQueueIsRefusedImmediatelyAndServedAgainOnceItDrains()
    {
        using var model = new HeldModel();
        using var batcher = Batcher(model.Run, Options(maxQueue: 2));

        var running = Task.Run(() => batcher.RunAsync(Windows(1), 1, CancellationToken.None));
        model.WaitUntilBusy();
        var queued = batcher.RunAsync(Windows(2, 3), 2, CancellationToken.None);
        var e = Assert.Throws<QueueFullException>(() => { _ = batcher.RunAsync(Windows(4), 1, CancellationToken.None); });
        Assert.Contains("queue is full (2 windows waiting)", e.Message);
        model.Release();

        await running;
        Assert.Equal(new[] { 2f, 2f, 3f, 2f }, await queued);
        Assert.Equal(new[] { 5f, 1f }, await batcher.RunAsync(Windows(5), 1, CancellationToken.None));
    }

    [Fact]
    public async Task RequestsLargerThanABatchAreSplitAndReassembledInOrder()
    {
        var sizes = new ConcurrentQueue<int>();
        using var batcher = Batcher(Echo, Options(maxBatch: 4));
        batcher.BatchRun += run => sizes.Enqueue(run.Windows);

        var output = await batcher.RunAsync(Windows(Enumerable.Range(0, 10).Select(i => (float)i).ToArray()), 10, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), output.Where((_, i) => i % Classes == 0));
        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task EveryRunIsPaddedWithZeroWindowsToAConfiguredShapeAndOnlyRealWindowsAreReturned()
    {
        var runs = new ConcurrentQueue<(int Shape, float[] Inputs)>();
        using var model = new HeldModel((inputs, count) =>
        {
            runs.Enqueue((count, inputs.ToArray()));
            return Echo(inputs, count);
        });
        using var batcher = Batcher(model.Run, Options(maxBatch: 8, shapes: "1,4,8"));
        var runInfo = new ConcurrentQueue<BatchRunInfo>();
        batcher.BatchRun += runInfo.Enqueue;

        var first = Task.Run(() => batcher.RunAsync(Windows(1), 1, CancellationToken.None));
        model.WaitUntilBusy();
        var second = batcher.RunAsync(Windows(2), 1, CancellationToken.None);
        var third = batcher.RunAsync(Windows(3, 4), 2, CancellationToken.None);
        model.Release();

        Assert.Equal(new[] { 1f, 1f }, await first);
        Assert.Equal(new[] { 2f, 4f }, await second);          // ran at shape 4
        Assert.Equal(new[] { 3f, 4f, 4f, 4f }, await third);   // two rows back, not the padding row
        Assert.Equal([new BatchRunInfo(1, 1), new BatchRunInfo(3, 4)], runInfo);
        var padded = runs.Last();
        Assert.Equal(4, padded.Shape);
        Assert.Equal(new[] { 2f, 3f, 4f }, new[] { padded.Inputs[0], padded.Inputs[InputSize], padded.Inputs[2 * InputSize] });
        Assert.All(padded.Inputs[(3 * InputSize)..], v => Assert.Equal(0f, v));
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task AnIdleModelAndASplitRequestAlsoRunOnlyAtConfiguredShapes()
    {
        var runs = new ConcurrentQueue<BatchRunInfo>();
        using var batcher = Batcher(Echo, Options(maxBatch: 8, shapes: "1,4,8"));
        batcher.BatchRun += runs.Enqueue;

        var three = await batcher.RunAsync(Windows(7, 8, 9), 3, CancellationToken.None);
        var eleven = await batcher.RunAsync(Windows(Enumerable.Range(0, 11).Select(i => (float)i).ToArray()), 11, CancellationToken.None);

        Assert.Equal(new[] { 7f, 4f, 8f, 4f, 9f, 4f }, three);
        Assert.Equal(Enumerable.Range(0, 11).Select(i => (float)i), eleven.Where((_, i) => i % Classes == 0));
        Assert.Equal(22, eleven.Length);
        Assert.Equal([new BatchRunInfo(3, 4), new BatchRunInfo(8, 8), new BatchRunInfo(3, 4)], runs);
    }

    [Fact]
    public async Task CancelledRequestIsNotRun()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        int runs = 0;
        using var batcher = Batcher((inputs, count) => { runs++; return Echo(inputs, count); }, Options());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batcher.RunAsync(Windows(1), 1, cts.Token));
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task AQueuedRequestThatIsCancelledStopsWaitingAtOnceAndIsNeverRun()
    {
        using var model = new HeldModel();
        var sizes = new ConcurrentQueue<int>();
        using var batcher = Batcher(model.Run, Options());
        batcher.BatchRun += run => sizes.Enqueue(run.Windows);

        var running = Task.Run(() => batcher.RunAsync(Windows(1), 1, CancellationToken.None));
        model.WaitUntilBusy();
        using var cts = new CancellationTokenSource();
        var abandoned = batcher.RunAsync(Windows(2, 3), 2, cts.Token);
        var kept = batcher.RunAsync(Windows(4), 1, CancellationToken.None);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned); // while the model is still busy
        model.Release();
        await running;
        Assert.Equal(new[] { 4f, 1f }, await kept);
        Assert.Equal([1, 1], sizes); // the abandoned windows never ran
        Assert.Equal(0, batcher.QueueDepth);
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
        using var batcher = Batcher(Run, Options());

        Assert.Equal(2, (await batcher.RunAsync(new float[4], 1, CancellationToken.None)).Length);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.RunAsync(new float[4], 1, CancellationToken.None));
        Assert.Equal("injected inference failure", failure.Message);
        Assert.Equal(4, (await batcher.RunAsync(new float[8], 2, CancellationToken.None)).Length);
        Assert.Equal(0, batcher.QueueDepth);
    }

    [Fact]
    public async Task AWindowThatFailsASharedRunFailsOnlyItsOwnRequest()
    {
        // The model fails any run that holds a window whose first value is -1 (as a window the network answers with
        // NaN does): the requests that shared the run with it are answered from runs of their own.
        var sizes = new ConcurrentQueue<int>();
        using var model = new HeldModel((inputs, count) =>
        {
            for (int i = 0; i < count; i++)
            {
                if (inputs.Span[i * InputSize] == -1)
                    throw new InvalidOperationException("injected: the model produced a non-finite probability");
            }
            return Echo(inputs, count);
        });
        using var batcher = Batcher(model.Run, Options());
        batcher.BatchRun += run => sizes.Enqueue(run.Windows);

        var first = Task.Run(() => batcher.RunAsync(Windows(1), 1, CancellationToken.None));
        model.WaitUntilBusy();
        var innocent = batcher.RunAsync(Windows(2, 3), 2, CancellationToken.None);
        var poisoned = batcher.RunAsync(Windows(-1), 1, CancellationToken.None);
        var alsoInnocent = batcher.RunAsync(Windows(4), 1, CancellationToken.None);
        model.Release();

        Assert.Equal(new[] { 1f, 1f }, await first);
        Assert.Equal(new[] { 2f, 2f, 3f, 2f }, await innocent);   // from a run of its own (batch 2), not the shared 4
        Assert.Contains("non-finite", (await Assert.ThrowsAsync<InvalidOperationException>(() => poisoned)).Message);
        Assert.Equal(new[] { 4f, 1f }, await alsoInnocent);
        Assert.Equal([1, 2, 1], sizes);   // the failed shared run is not a run; the three solo runs are
        Assert.Equal(0, batcher.QueueDepth);
    }

    /// <summary>A scripted model whose runs are held until <see cref="Release"/>, so that requests queue behind the
    /// first run; each run answers with <paramref name="answer"/> (<see cref="Echo"/> by default).</summary>
    private sealed class HeldModel(Func<Memory<float>, int, float[]>? answer = null) : IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(), _started = new();

        public float[] Run(Memory<float> inputs, int count)
        {
            _started.Set();
            _gate.Wait();
            return (answer ?? Echo)(inputs, count);
        }

        /// <summary>Waits until a run has started and is being held.</summary>
        public void WaitUntilBusy() => Assert.True(_started.Wait(TimeSpan.FromSeconds(10)));

        public void Release() => _gate.Set();

        public void Dispose()
        {
            _gate.Dispose();
            _started.Dispose();
        }
    }
}
