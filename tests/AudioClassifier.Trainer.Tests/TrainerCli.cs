using AudioClassifier.Trainer.Commands;

namespace AudioClassifier.Trainer.Tests;

/// <summary>Runs <c>audioclf-train</c> in-process as a user would call it: exit code, standard output and error.</summary>
internal static class TrainerCli
{
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = TrainerCommand.Run(args, new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
