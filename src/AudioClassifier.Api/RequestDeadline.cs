namespace AudioClassifier.Api;

/// <summary>Moves a request's deadline to the end of a budget counted from the request's start, the one rule every
/// endpoint with a processing budget follows (/classify, /spectrogram, the KServe REST and gRPC paths).</summary>
public static class RequestDeadline
{
    /// <summary>Ends <paramref name="deadline"/> when <paramref name="budget"/> is spent, <paramref name="elapsed"/>
    /// of it already gone (longer or shorter than before: CancelAfter restarts the timer); at once if it is spent
    /// (CancelAfter refuses a negative delay).</summary>
    public static void EndAfter(CancellationTokenSource deadline, TimeSpan budget, TimeSpan elapsed)
    {
        var left = budget - elapsed;
        if (left > TimeSpan.Zero)
            deadline.CancelAfter(left);
        else
            deadline.Cancel();
    }
}
