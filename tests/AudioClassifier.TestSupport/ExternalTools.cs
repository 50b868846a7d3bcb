using System.Diagnostics;

namespace AudioClassifier.TestSupport;

/// <summary>Runs command-line encoders (sox, lame) that tests use to make real media at test time.</summary>
public static class ExternalTools
{
    public static void Run(string tool, params string[] args) => Output(tool, args);

    /// <summary>Runs the tool and returns its standard output, failing on a non-zero exit.</summary>
    public static string Output(string tool, params string[] args) => OutputWithEnvironment(tool, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Output"/>, with extra environment variables.</summary>
    public static string OutputWithEnvironment(string tool, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (k, v) in environment)
            psi.Environment[k] = v;
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{tool}' is required by this test but is not installed (scripts/test.sh installs sox and lame).", e);
        }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            string err = stderr.Result;
            if (!p.WaitForExit(120_000))
                throw new TimeoutException($"{tool} did not finish");
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({p.ExitCode}): {err}{stdout}");
            return stdout;
        }
    }
}
