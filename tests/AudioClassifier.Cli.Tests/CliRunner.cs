using System.CommandLine;

namespace AudioClassifier.Cli.Tests;

/// <summary>Runs audioclf in-process with captured output.</summary>
public static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = AudioClfCommand.Run(args, new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }
}
