using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// Dynamic batching: windows from concurrent callers wait in a bounded queue and are run together, up to the largest
/// batch shape per run or until the oldest has waited <see cref="AudioClassifierOptions.MaxQueueDelayMilliseconds"/>.
/// With a 0 ms window, a caller that finds the model idle and nothing waiting runs on its own thread at once (no
/// hand-off); whatever queues while a run executes forms the next run. Requests larger than a batch are split, and
/// every run is padded to one of the configured <see cref="BatchShapes"/>. A full queue refuses new work immediately.
/// </summary>
internal sealed class InferenceBatcher : IDisposable
{
    private readonly ShapedRunner _runner;
    private readonly int _maxBatch;
    private readonly AudioClassifierOptions _options;
    private readonly ILogger? _logger;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    // Held by whoever is running the model: the worker for a batch, or a caller running alone on an idle model.
    private readonly SemaphoreSlim _model = new(1, 1);
    private readonly Task _worker;
    private int _pending;

    internal InferenceBatcher(ShapedRunner runner, AudioClassifierOptions options, ILogger? logger)
    {
        _runner = runner;
        _maxBatch = runner.Shapes.Max;
        _options = options;
        _logger = logger;
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>Windows waiting now.</summary>
    public int QueueDepth => Volatile.Read(ref _pending);

    /// <summary>Raised after every run with its windows and shape (for metrics).</summary>
    public event Action<BatchRunInfo>? BatchRun;

    /// <summary>
    /// Scores <paramref name="count"/> windows (back to back in <paramref name="inputs"/>) and returns their
    /// probabilities. The caller must not reuse <paramref name="inputs"/> until the task completes.
    /// </summary>
    public Task<float[]> RunAsync(float[] inputs, int count, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<float[]>(cancellationToken);
        if (_options.MaxQueueDelayMilliseconds == 0 && count <= _maxBatch && Volatile.Read(ref _pending) == 0 && _model.Wait(0))
            return RunAlone(inputs, count, cancellationToken);

        // A single request larger than the queue is still admitted when nothing else waits (a very long clip).
        int waiting = Interlocked.Add(ref _pending, count);
        if (waiting > _options.MaxQueueLength && waiting != count)
        {
            Interlocked.Add(ref _pending, -count);
            throw new QueueFullException($"The inference queue is full ({_options.MaxQueueLength} windows waiting); retry shortly.");
        }
        var parts = new List<Request>();
        for (int offset = 0; offset < count; offset += _maxBatch)
        {
            var part = new Request(inputs, offset, Math.Min(_maxBatch, count - offset), new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
            // A cancelled request stops waiting at once; the worker drops it when it comes up and frees its slots.
            if (cancellationToken.CanBeCanceled)
                part.Registration = cancellationToken.Register(static r => ((Request)r!).Result.TrySetCanceled(((Request)r!).CancellationToken), part);
            parts.Add(part);
            if (!_queue.Writer.TryWrite(part))
            {
                part.Registration.Dispose();
                Interlocked.Add(ref _pending, -(count - offset));
                part.Result.TrySetException(new ObjectDisposedException(nameof(InferenceBatcher)));
                break;
            }
        }
        return parts.Count == 1 ? parts[0].Result.Task : JoinAsync(parts);
    }

    // The model is idle and nobody waits: run now on the caller's thread (holding the model); the caller's token
    // terminates the run, so a timeout holds here too.
    private Task<float[]> RunAlone(float[] inputs, int count, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<float[]>();
        try
        {
            RunOnItsOwn(inputs, 0, count, result, cancellationToken);
        }
        finally
        {
            _model.Release();
        }
        return result.Task;
    }

    private async Task<float[]> JoinAsync(List<Request> parts)
    {
        var outputs = await Task.WhenAll(parts.Select(p => p.Result.Task)).ConfigureAwait(false);
        return outputs.SelectMany(o => o).ToArray();
    }

    private async Task WorkAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Request>();
        var delay = TimeSpan.FromMilliseconds(_options.MaxQueueDelayMilliseconds);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Batches are gathered once the model is free, so whatever queued during the previous run joins.
            await _model.WaitAsync().ConfigureAwait(false);
            try
            {
                int windows = await GatherAsync(reader, batch, delay).ConfigureAwait(false);
                if (windows > 0)
                    Execute(batch, windows);
            }
            finally
            {
                _model.Release();
            }
        }
    }

    private async Task<int> GatherAsync(ChannelReader<Request> reader, List<Request> batch, TimeSpan delay)
    {
        batch.Clear();
        if (!reader.TryRead(out var first))
            return 0;
        batch.Add(first);
        int windows = first.Count;
        var deadline = DateTime.UtcNow + delay;
        while (windows < _maxBatch)
        {
            if (reader.TryPeek(out var next))
            {
                if (windows + next.Count > _maxBatch)
                    break;
                reader.TryRead(out next);
                batch.Add(next!);
                windows += next!.Count;
                continue;
            }
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
                break;
            using var cts = new CancellationTokenSource(remaining);
            try
            {
                if (!await reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
                    break;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return windows;
    }

    private void Execute(List<Request> batch, int windows)
    {
        foreach (var r in batch)
            r.Registration.Dispose();
        var live = batch.Where(r => !r.CancellationToken.IsCancellationRequested && !r.Result.Task.IsCompleted).ToList();
        foreach (var r in batch.Except(live))
        {
            Interlocked.Add(ref _pending, -r.Count);
            r.Result.TrySetCanceled(r.CancellationToken);
        }
        if (live.Count == 0)
            return;
        int total = live.Sum(r => r.Count);
        try
        {
            if (live.Count == 1)
            {
                RunOnItsOwn(live[0]);
                return;
            }
            var blocks = live.Select(r => new WindowBlock(r.Inputs, r.Offset, r.Count)).ToArray();
            float[] output;
            try
            {
                // A shared run always finishes, whoever of its requests is cancelled meanwhile.
                output = _runner.Run(blocks, CancellationToken.None, out var info);
                BatchRun?.Invoke(info);
            }
            catch (Exception e)
            {
                // One request's input can fail a run it shares (a window the model answers with NaN): the others must
                // not fail with it, so each request is run again on its own and only one that fails alone fails.
                _logger?.LogWarning(e, "A shared run of {Windows} windows for {Requests} requests failed; running each request on its own", total, live.Count);
                foreach (var r in live)
                    RunOnItsOwn(r);
                return;
            }
            int classes = output.Length / total;
            int at = 0;
            foreach (var r in live)
            {
                r.Result.TrySetResult(output.AsSpan(at * classes, r.Count * classes).ToArray());
                at += r.Count;
            }
        }
        finally
        {
            Interlocked.Add(ref _pending, -total);
        }
    }

    /// <summary>Stops taking work and waits for the worker to finish its current run, however long it takes: the
    /// model is disposed after this, so no run may still be using it. (The service disposes an engine only when its
    /// last request has ended, so the worker is idle by then.)</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _worker.Wait();
    }

    /// <summary>Windows [<paramref name="offset"/>, + <paramref name="count"/>) of a caller's input block in a run of
    /// their own, terminated if <paramref name="cancellationToken"/> fires; the outcome goes to <paramref name="result"/>.</summary>
    private void RunOnItsOwn(float[] inputs, int offset, int count, TaskCompletionSource<float[]> result, CancellationToken cancellationToken)
    {
        try
        {
            var output = _runner.Run([new WindowBlock(inputs, offset, count)], cancellationToken, out var info);
            BatchRun?.Invoke(info);
            result.TrySetResult(output);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result.TrySetCanceled(cancellationToken);
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "Inference failed for a request of {Windows} windows", count);
            result.TrySetException(e);
        }
    }

    private void RunOnItsOwn(Request r) => RunOnItsOwn(r.Inputs, r.Offset, r.Count, r.Result, r.CancellationToken);

    /// <summary>Windows [Offset, Offset + Count) of a caller's input block.</summary>
    private sealed record Request(float[] Inputs, int Offset, int Count, TaskCompletionSource<float[]> Result, CancellationToken CancellationToken)
    {
        /// <summary>Completes <see cref="Result"/> as cancelled the moment the token fires.</summary>
        public CancellationTokenRegistration Registration { get; set; }
    }
}
