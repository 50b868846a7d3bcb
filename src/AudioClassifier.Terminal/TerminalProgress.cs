using System.Diagnostics;

namespace AudioClassifier.Terminal;

/// <summary>
/// The one progress display of the command-line tools: a bar redrawn in place (at most 10 times a second) on a
/// terminal; on redirected output (CI logs, files, pipes) plain lines, the first at once, then one every
/// <see cref="LineInterval"/> and the last, never carriage-return frames. Hand-written rather than Spectre.Console's
/// progress because that one's non-interactive fallback prints only at fixed percentages without the caller's status
/// (loss, accuracy), and it owns the console while it runs, where the trainer logs between bars.
/// </summary>
public sealed class TerminalProgress
{
    /// <summary>Time between lines when output is redirected.</summary>
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FrameInterval = TimeSpan.FromMilliseconds(100);
    private readonly TextWriter _output;
    private readonly string _label;
    private readonly int _total;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly Lock _gate = new();
    private long? _last;

    /// <param name="interactive">Redraw in place; null: when <paramref name="output"/> is the process's console
    /// error or output stream and that stream is a terminal.</param>
    public TerminalProgress(TextWriter output, string label, int total, bool? interactive = null, TimeProvider? time = null)
    {
        _output = output;
        _label = label;
        _total = total;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        Interactive = interactive ?? IsTerminal(output);
    }

    /// <summary>Whether the bar is redrawn in place (a terminal) or written as lines.</summary>
    public bool Interactive { get; }

    /// <summary>Reports <paramref name="done"/> of the total, with a short status (e.g. "loss 0.41").</summary>
    public void Report(int done, string status = "")
    {
        lock (_gate) // reports may come from worker threads (IProgress<T> callbacks on the thread pool)
            Write(done, status);
    }

    private void Write(int done, string status)
    {
        long now = _time.GetTimestamp();
        bool finished = done >= _total;
        var interval = Interactive ? FrameInterval : LineInterval;
        if (!finished && _last is { } last && _time.GetElapsedTime(last, now) < interval)
            return;
        _last = now;
        string line = Line(done, status, _time.GetElapsedTime(_start, now));
        if (Interactive)
        {
            _output.Write("\r" + line.PadRight(Math.Max(line.Length, 100)));
            if (finished)
                _output.WriteLine();
        }
        else
        {
            _output.WriteLine(line);
        }
        _output.Flush();
    }

    private string Line(int done, string status, TimeSpan elapsed)
    {
        double fraction = _total == 0 ? 1 : Math.Clamp((double)done / _total, 0, 1);
        var eta = fraction > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
        const int width = 24;
        int filled = (int)Math.Round(fraction * width);
        string tail = done >= _total ? $"in {elapsed:mm\\:ss}" : $"ETA {eta:mm\\:ss}";
        return $"{_label} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{_total}{(status.Length > 0 ? " " + status : "")} {tail}";
    }

    private static bool IsTerminal(TextWriter output) =>
        Environment.GetEnvironmentVariable("TERM") != "dumb"
        && ((ReferenceEquals(output, Console.Error) && !Console.IsErrorRedirected)
            || (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected));
}
