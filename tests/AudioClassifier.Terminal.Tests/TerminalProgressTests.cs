using Microsoft.Extensions.Time.Testing;

namespace AudioClassifier.Terminal.Tests;

/// <summary>
/// Progress on redirected output is a few plain lines a log can hold (the first, one per interval, the last), not
/// hundreds of carriage-return frames; on a terminal it is one bar redrawn in place.
/// </summary>
public sealed class TerminalProgressTests
{
    [Fact]
    public void RedirectedOutputGetsALineEveryFewSecondsAndTheLast()
    {
        var time = new FakeTimeProvider();
        var log = new StringWriter();
        var progress = new TerminalProgress(log, "epoch 1/3", 1000, interactive: null, time);
        Assert.False(progress.Interactive); // a StringWriter is not a terminal
        for (int i = 1; i <= 1000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(12)); // 12 s in all
            progress.Report(i, $"loss {1.0 / i:0.000}");
        }
        var lines = log.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain('\r', log.ToString());
        // At once, after 5 s, after 10 s, and the end.
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("epoch 1/3 [", lines[0]);
        Assert.Contains("1/1000 loss 1.000", lines[0]);
        Assert.Contains("1000/1000 loss 0.001 in 00:12", lines[^1]);
        Assert.Contains("[########################]", lines[^1]);
    }

    [Fact]
    public void ATerminalGetsOneBarRedrawnInPlace()
    {
        var time = new FakeTimeProvider();
        var console = new StringWriter();
        var progress = new TerminalProgress(console, "classifying", 50, interactive: true, time);
        for (int i = 1; i <= 50; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(40));
            progress.Report(i);
        }
        string text = console.ToString();
        int frames = text.Count(c => c == '\r');
        Assert.InRange(frames, 15, 25); // at most one frame per 100 ms (2 s in all), plus the last
        Assert.EndsWith(Environment.NewLine, text);
        Assert.Single(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void ReportsFromSeveralThreadsAreWrittenWhole()
    {
        var log = new StringWriter();
        var progress = new TerminalProgress(log, "features", 400, interactive: false);
        Parallel.For(1, 401, i => progress.Report(i, "decoded"));
        progress.Report(400, "decoded");
        Assert.All(log.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries),
            line => Assert.Matches(@"^features \[[#.]{24}\] \d+/400 decoded (ETA|in) \d\d:\d\d$", line));
    }
}
