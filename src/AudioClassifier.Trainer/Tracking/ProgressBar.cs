using System.Diagnostics;

namespace AudioClassifier.Trainer.Tracking;

/// <summary>
/// A one-line progress bar with a caller-supplied status (loss, accuracy) and an ETA; redraws in place on a
/// terminal and prints at every 25 % when output is redirected (CI logs).
/// </summary>
public sealed class ProgressBar(TextWriter output, string label, int total, bool interactive)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private int _lastQuarter = -1;

    public void Report(int done, string status)
    {
        double fraction = total == 0 ? 1 : Math.Clamp((double)done / total, 0, 1);
        var elapsed = _watch.Elapsed;
        var eta = fraction > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
        const int width = 24;
        int filled = (int)Math.Round(fraction * width);
        string line = $"{label} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} {status} ETA {eta:mm\\:ss}";
        if (interactive)
        {
            output.Write("\r" + line.PadRight(110));
            if (done >= total)
                output.WriteLine();
        }
        else
        {
            int quarter = (int)(fraction * 4);
            if (quarter != _lastQuarter && (quarter > _lastQuarter))
            {
                _lastQuarter = quarter;
                output.WriteLine(line);
            }
        }
        output.Flush();
    }
}
