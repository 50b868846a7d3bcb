using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// Dynamic batching: windows from concurrent callers wait in a bounded queue and are run together, up to
/// <see cref="AudioClassifierOptions.MaxBatchSize"/> per run or until the oldest has waited
/// <see cref="AudioClassifierOptions.MaxQueueDelayMilliseconds"/>. A full queue refuses new work immediately.
/// </summary>
internal sealed class InferenceBatcher : IDisposable
{
    private readonly Func<float[], int, float[]> _run;
    private readonly int _inputSize;
    private readonly int _classes;
    private readonly AudioClassifierOptions _options;
    private readonly ILogger? _logger;
    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;
    private int _pending;

    public InferenceBatcher(OnnxModel model, AudioClassifierOptions options, ILogger? logger)
        : this(model.Run, model.InputSize, model.Classes, options, logger)
    {
    }

    /// <param name="run">Runs a batch: inputs back to back and their count, returning [count, classes] probabilities.</param>
    internal InferenceBatcher(Func<float[], int, float[]> run, int inputSize, int classes, AudioClassifierOptions options, ILogger? logger)
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

    /// <summary>Queues <paramref name="count"/> windows (back to back in <paramref name="inputs"/>) and returns their probabilities.</summary>
    public Task<float[]> RunAsync(float[] inputs, int count, CancellationToken cancellationToken)
    {
        // A single request larger than the queue is still admitted when nothing else waits (a very long clip).
        int waiting = Interlocked.Add(ref _pending, count);
        if (waiting > _options.MaxQueueLength && waiting != count)
        {
            Interlocked.Add(ref _pending, -count);
            throw new QueueFullException($"The inference queue is full ({_options.MaxQueueLength} windows waiting); retry shortly.");
        }
        var request = new Request(inputs, count, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        if (!_queue.Writer.TryWrite(request))
        {
            Interlocked.Add(ref _pending, -count);
            throw new ObjectDisposedException(nameof(InferenceBatcher));
        }
        return request.Result.Task;
    }

    private async Task WorkAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Request>();
        var delay = TimeSpan.FromMilliseconds(_options.MaxQueueDelayMilliseconds);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int windows = 0;
            if (reader.TryRead(out var first))
            {
                batch.Add(first);
                windows = first.Count;
            }
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
            Execute(batch, windows);
        }
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
        try
        {
            var inputs = live.Count == 1 ? live[0].Inputs : new float[total * size];
            if (live.Count > 1)
            {
                int offset = 0;
                foreach (var r in live)
                {
                    Array.Copy(r.Inputs, 0, inputs, offset, r.Count * size);
                    offset += r.Count * size;
                }
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
            Interlocked.Add(ref _pending, -total);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _worker.Wait(TimeSpan.FromSeconds(5));
    }

    private sealed record Request(float[] Inputs, int Count, TaskCompletionSource<float[]> Result, CancellationToken CancellationToken);
}
