using System.Runtime.InteropServices;

namespace AudioClassifier.TestSupport;

/// <summary>
/// CPU time consumed by the calling thread (Linux <c>getrusage(RUSAGE_THREAD)</c>): a per-input CPU budget that other
/// tests running in parallel cannot disturb, unlike wall time or the process's total.
/// </summary>
public static class ThreadCpuTime
{
    private const int RusageThread = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        // The remaining 14 counters of struct rusage (unused).
        public long R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);

    /// <summary>User plus system CPU time of this thread so far.</summary>
    public static TimeSpan Now()
    {
        if (getrusage(RusageThread, out var u) != 0)
            throw new InvalidOperationException($"getrusage failed ({Marshal.GetLastPInvokeError()}).");
        return TimeSpan.FromMicroseconds((u.UserSeconds + u.SystemSeconds) * 1_000_000 + u.UserMicroseconds + u.SystemMicroseconds);
    }
}
