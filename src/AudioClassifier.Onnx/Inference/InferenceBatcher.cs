using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// Dynamic batching: windows from concurrent callers wait in a bounded queue and are run together, up to
/// <see cref="AudioClassifierOptions.MaxBatchSize"/> per run or until the oldest has waited
/// <see cref="AudioClassifierOptions.MaxQueueDelayMilliseconds"/>. With a 0 ms window, a caller that finds the model
/// idle and nothing waiting runs on its own thread at once (no hand-off); requests larger than a batch are split,
/// so no run is ever larger than <see cref="AudioClassifierOptions.MaxBatchSize"/>. A full queue refuses new work
/// immediately.
/// </summary>
internal sealed class InferenceBatcher : IDisposable
{
    private readonly Func<Memory<float>, int, float[]> _run;
    private readonly int _inputSize;
    private readonly int _classes;
    private readonly AudioClassifierOptions _options;
    private readonly ILogger? _logger;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    // Held by whoever is running the model: the worker for a batch, or a caller running alone on an idle model.
    private readonly SemaphoreSlim _model = new(1, 1);
    private readonly Task _worker;
    private int _pending;

    public InferenceBatcher(OnnxModel model, AudioClassifierOptions options, ILogger? logger)
        : this(model.Run, model.InputSize, model.Classes, options, logger)
    {
    }

    /// <param name="run">Runs a batch: inputs back to back and their count, returning [count, classes] probabilities.</param>
    internal InferenceBatcher(Func<Memory<float>, int, float[]> run, int inputSize, int classes, AudioClassifierOptions options, ILogger? logger)
    {
        _run = run;
        _inputSize = inputSize;
        _classes = classes;
        _options = options;
        _logger = logger;
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>Windows waiting now.</summary>
    public int QueueDepth => Volatile.Read(ref _pending);

    /// <summary>Raised after every run with its batch size (for metrics).</summary>
    public event Action<int>? BatchRun;

    /// <summary>
    /// Scores <paramref name="count"/> windows (back to back in <paramref name="inputs"/>) and returns their
    /// probabilities. The caller must not reuse <paramref name="inputs"/> until the task completes.
    /// </summary>
    public Task<float[]> RunAsync(float[] inputs, int count, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<float[]>(cancellationToken);
        if (_options.MaxQueueDelayMilliseconds == 0 && count <= _options.MaxBatchSize && Volatile.Read(ref _pending) == 0 && _model.Wait(0))
            return RunAlone(inputs, count);

        // A single request larger than the queue is still admitted when nothing else waits (a very long clip).
        int waiting = Interlocked.Add(ref _pending, count);
        if (waiting > _options.MaxQueueLength && waiting != count)
        {
            Interlocked.Add(ref _pending, -count);
            throw new QueueFullException($"The inference queue is full ({_options.MaxQueueLength} windows waiting); retry shortly.");
        }
        var parts = new List<Request>();
        for (int offset = 0; offset < count; offset += _options.MaxBatchSize)
        {
            var part = new Request(inputs, offset, Math.Min(_options.MaxBatchSize, count - offset), new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
            parts.Add(part);
            if (!_queue.Writer.TryWrite(part))
            {
                Interlocked.Add(ref _pending, -(count - offset));
                part.Result.TrySetException(new ObjectDisposedException(nameof(InferenceBatcher)));
                break;
            }
        }
        return parts.Count == 1 ? parts[0].Result.Task : JoinAsync(parts);
    }

    // The model is idle and nobody waits: run now on the caller's thread (holding the model).
    private Task<float[]> RunAlone(float[] inputs, int count)
    {
        try
        {
            var output = _run(inputs.AsMemory(0, count * _inputSize), count);
            BatchRun?.Invoke(count);
            return Task.FromResult(output);
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "Inference failed for a batch of {Windows} windows", count);
            return Task.FromException<float[]>(e);
        }
        finally
        {
            _model.Release();
        }
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
        while (windows < _options.MaxBatchSize)
        {
            if (reader.TryPeek(out var next))
            {
                if (windows + next.Count > _options.MaxBatchSize)
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
        var live = batch.Where(r => !r.CancellationToken.IsCancellationRequested).ToList();
        foreach (var r in batch.Except(live))
        {
            Interlocked.Add(ref _pending, -r.Count);
            r.Result.TrySetCanceled(r.CancellationToken);
        }
        if (live.Count == 0)
            return;
        int size = _inputSize, classes = _classes, total = live.Sum(r => r.Count);
        // Several requests are copied into one pooled block; a lone request runs from its own buffer.
        float[]? pooled = live.Count > 1 ? ArrayPool<float>.Shared.Rent(total * size) : null;
        try
        {
            Memory<float> inputs;
            if (pooled is null)
                inputs = live[0].Inputs.AsMemory(live[0].Offset * size, total * size);
            else
            {
                int offset = 0;
                foreach (var r in live)
                {
                    Array.Copy(r.Inputs, r.Offset * size, pooled, offset, r.Count * size);
                    offset += r.Count * size;
                }
                inputs = pooled.AsMemory(0, total * size);
            }
            var output = _run(inputs, total);
            BatchRun?.Invoke(total);
            int at = 0;
            foreach (var r in live)
            {
                r.Result.TrySetResult(output.AsSpan(at * classes, r.Count * classes).ToArray());
                at += r.Count;
            }
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "Inference failed for a batch of {Windows} windows", total);
            foreach (var r in live)
                r.Result.TrySetException(e);
        }
        finally
        {
            if (pooled is not null)
                ArrayPool<float>.Shared.Return(pooled);
            Interlocked.Add(ref _pending, -total);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _worker.Wait(TimeSpan.FromSeconds(5));
    }

    /// <summary>Windows [Offset, Offset + Count) of a caller's input block.</summary>
    private sealed record Request(float[] Inputs, int Offset, int Count, TaskCompletionSource<float[]> Result, CancellationToken CancellationToken);
}
